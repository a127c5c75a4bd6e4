// Checkpoints for the lessons that train for long (06, 07), so that a run that was stopped
// (killed, a power cut, Ctrl-C) continues from where it was instead of from step 1.
//
// Every `every` steps the model, the optimizer (with its step count and lr), the generators the
// loop draws from, the model's own generators (dropout, nn::Module::named_generators) and the
// curves recorded so far go to one file, written atomically
// (nn/checkpoint.hpp). With --resume the run loads that file and goes on from the step after
// it; since everything the next step reads is restored exactly, the numbers are bit for bit
// those of a run that was never stopped (tests/lessons/06 and 07 check this).
//
//   lesson::RunCheckpoint ckpt(options, model, optimizer, {{"data", &data_gen}},
//                              {{"loss", &losses}}, "task=copy steps=400 seed=0");
//   for (std::int64_t step = ckpt.first_step(); step <= steps; ++step) {
//       ... one training step ...
//       if (!ckpt.after_step(step, steps)) break;  // stop_after reached (tests)
//   }
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/checkpoint.hpp"

namespace qkv::lesson {

struct ResumeOptions {
    std::string path;             // the checkpoint file; "" turns checkpoints off
    std::int64_t every = 0;       // save after every `every` steps (and after the last); 0: never
    bool resume = false;          // start from `path` when it exists
    std::int64_t stop_after = 0;  // tests: save and stop after this step, as if killed; 0: run on
};

// The curves a loop records, by name; saved beside the weights so the resumed run's pictures
// and summaries cover the whole run.
using Curves = std::map<std::string, std::vector<double>*>;

class RunCheckpoint {
public:
    // `run` describes the configuration (task, sizes, seed, steps); a checkpoint made by
    // another configuration is refused on resume rather than silently mixed in.
    RunCheckpoint(ResumeOptions options, nn::Module& model, nn::Optimizer& optimizer, nn::Generators generators,
                  Curves curves, std::string run);

    // 1 for a fresh run; with resume and an existing file, one past the step it was saved at
    // (after restoring everything). Throws qkv::Error naming the file when it does not fit.
    std::int64_t first_step();
    // Call after step `step` of `total`: saves when due. False when the loop should stop
    // (stop_after reached).
    bool after_step(std::int64_t step, std::int64_t total);

private:
    void save(std::int64_t step);

    ResumeOptions options_;
    nn::Module& model_;
    nn::Optimizer& optimizer_;
    nn::Generators generators_;
    Curves curves_;
    std::string run_;
};

}  // namespace qkv::lesson
