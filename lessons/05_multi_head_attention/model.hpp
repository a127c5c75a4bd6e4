// The small model trained on the previous-and-marked task, built from nn pieces:
//
//   x = Embedding(ids) + P               (N, T, D)   P: sinusoidal, learned, or nothing
//   x = x + MultiHeadAttention(x)        (N, T, D)   per layer: self-attention with a residual
//   logits = Linear(x)                   (N, T, V*V)
//
// No feed-forward block and no LayerNorm: the task only needs each position to fetch two
// tokens and a linear read-out of the pair, so the attention heads are the whole story (lesson
// 06 builds the full Transformer layer). The same model without P is the control: it cannot
// tell which token came before t.
//
// Shapes: N = sequences, T = positions, D = d_model, H = heads, C = classes = V*V.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lessons/05_multi_head_attention/task.hpp"
#include "nn/attention/multi_head.hpp"
#include "nn/embedding.hpp"
#include "nn/positional.hpp"

namespace qkv::lesson05 {

enum class Positions { None, Sinusoidal, Learned };
std::string positions_name(Positions p);

struct ModelConfig {
    std::int64_t d_model = 32;
    std::int64_t num_heads = 2;
    std::int64_t num_layers = 2;
    Positions positions = Positions::Sinusoidal;
};

struct ModelOutput {
    Var logits;                // (N, T, C)
    std::vector<Var> weights;  // one (N, H, T, T) per layer
};

class PairModel : public nn::Module {
public:
    PairModel(const TaskConfig& task, const ModelConfig& config, Generator& gen);

    ModelOutput forward(const Tensor& ids);  // ids (N, T) int64

    nn::Embedding embed;
    std::optional<nn::SinusoidalPositionalEncoding> sinusoidal;
    std::optional<nn::LearnedPositionalEmbedding> learned;
    std::vector<nn::MultiHeadAttention> layers;
    nn::Linear head;
    // Each layer's self-attention; empty means MultiHeadAttention::forward. `--mine` puts the
    // student's version here (exercises/multi_head.hpp).
    std::function<nn::MultiHeadOutput(nn::MultiHeadAttention&, const Var&)> attention;

    const ModelConfig& config() const { return config_; }
    void visit(nn::Visitor& v) override;
    std::string type_name() const override { return "PairModel"; }

private:
    ModelConfig config_;
};

struct TrainConfig {
    std::uint64_t seed = 0;
    std::int64_t steps = 800;
    std::int64_t batch = 64;
    double lr = 1e-2;  // Adam
    std::int64_t held_out = 1000;
};

// --quick: each model trains quick_steps steps and is scored on quick_held_out sequences, enough
// for the model with sinusoidal positions to pass the mark while the one without positions stays
// far below it (tests/lessons/05 checks both).
inline constexpr std::int64_t quick_steps = 300, quick_held_out = 500;

// Held-out sequences come from their own generator (seed-derived, not the training stream's),
// and train() redraws any training sequence that equals one of them.
TaskBatch held_out_batch(const TaskConfig& task, std::int64_t n, std::uint64_t seed);

// Per-position accuracy over the scored positions (t >= 1): the fraction whose argmax class is
// the target pair. Runs in eval mode without building a graph.
double accuracy(PairModel& model, const TaskBatch& batch);

struct TrainResult {
    std::vector<double> losses;  // training loss at every step
    double accuracy = 0;         // on the held-out set
};

// Trains with Adam on fresh batches each step, none of whose sequences is a held-out one;
// `on_step(step, loss)` after every step, `on_batch(batch)` with every training batch.
TrainResult train(PairModel& model, const TaskConfig& task, const TrainConfig& config,
                  const std::function<void(std::int64_t, double)>& on_step = {},
                  const std::function<void(const TaskBatch&)>& on_batch = {});

// What each head looks at: its mean weight on the previous token (key t-1) and on the marked
// token, over the held-out queries t >= 1 whose previous token is not the marked one (there
// the two looks coincide). focus[layer][head].
struct HeadFocus {
    double previous = 0, marked = 0;
};
std::vector<std::vector<HeadFocus>> head_focus(PairModel& model, const TaskBatch& batch);

}  // namespace qkv::lesson05
