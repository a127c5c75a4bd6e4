// Why the lesson's encoder and decoder are GRUs: a task that needs a long memory, learned by a
// plain tanh RNN (nn/rnn_cell.hpp) and by a GRU (nn/gru.hpp) of the same size.
//
// Recall: read T random symbols, then name the FIRST one. The answer is decided at step 1 and
// must survive T-1 more steps, so the loss's gradient has to travel back through all of them.
//
//   x_1 .. x_T  -> Embedding -> cell, T steps -> h_T -> Linear -> logits over the symbols
//   loss = cross-entropy(logits, x_1)
//
// Shapes: B = batch, T = sequence length, E = embedding size, H = hidden size, V = symbols.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/embedding.hpp"
#include "nn/gru.hpp"
#include "nn/linear.hpp"
#include "nn/rnn_cell.hpp"

namespace qkv::lesson04 {

enum class CellKind { Tanh, Gru };
const char* cell_name(CellKind kind);  // "tanh RNN" or "GRU"

struct RecallOptions {
    std::int64_t length = 10;  // T
    std::int64_t symbols = 8;  // V
    std::int64_t embed_size = 16, hidden_size = 32;
    std::int64_t batch_size = 64, steps = 300;
    double lr = 1e-2;          // Adam
    std::int64_t heldout = 500;
    std::uint64_t seed = 0;
};

// The lesson's settings (seed + 3000 for the data, so they are not the other tasks' draws), and
// --quick's smaller run, which still shows the GRU learning what the tanh RNN cannot.
RecallOptions recall_options(std::uint64_t seed);
RecallOptions quick_recall_options(std::uint64_t seed);

// B sequences of T symbols in [0, V) drawn from `gen`: (B, T) int64.
Tensor recall_batch(const RecallOptions& o, std::int64_t batch, Generator& gen);

// The held-out sequences train_recall scores on: the first o.heldout draws from o.seed. (N, T)
Tensor recall_heldout(const RecallOptions& o);

class RecallModel {
public:
    RecallModel(CellKind kind, const RecallOptions& o, Generator& gen);

    struct Run {
        Var logits;               // (B, V) from the last state
        std::vector<Var> states;  // h_1 .. h_T, each (B, H)
        std::vector<Var> update;  // the GRU's update gate z_1 .. z_T, each (B, H) (empty for tanh)
    };
    Run forward(const Tensor& ids);  // ids (B, T)
    std::vector<Var> parameters();
    CellKind kind() const { return kind_; }

private:
    CellKind kind_;
    nn::Embedding embedding_;
    nn::RNNCell tanh_cell_;
    nn::GRUCell gru_cell_;
    nn::Linear out_;
};

// How much gradient reaches the start: on one batch, |dL/dh_1| / |dL/dh_T| (Frobenius norms
// over the batch), where L is the mean cross-entropy. A ratio near 0 means the first steps
// hardly learn from the loss.
double gradient_reaching_start(RecallModel& model, const Tensor& ids);

struct RecallResult {
    std::vector<double> losses;  // per training step
    double accuracy = 0;         // on `heldout` fresh sequences
    double start_ratio_before = 0, start_ratio_after = 0;  // gradient_reaching_start, same batch
};

// Trains `model` with Adam and measures it. Data come from o.seed (held-out batch first).
RecallResult train_recall(RecallModel& model, const RecallOptions& o);

// Gradient clipping (nn/optim/clip.hpp) against a spike: one batch whose targets are all wrong
// (each label moved to the next symbol) gives the trained model a gradient far larger than a
// clean batch's. One SGD step of `lr` on it, taken unclipped and then clipped to `max_norm`
// (the model restored in between), and the held-out accuracy after each.
struct SpikeDemo {
    double clean_norm = 0, spike_norm = 0;  // global gradient norms of a clean and the bad batch
    double accuracy_before = 0, accuracy_unclipped = 0, accuracy_clipped = 0;
};
SpikeDemo spike_demo(RecallModel& trained, const RecallOptions& o, double lr, double max_norm);

}  // namespace qkv::lesson04
