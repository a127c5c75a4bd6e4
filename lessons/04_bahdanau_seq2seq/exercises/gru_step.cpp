#include "lessons/04_bahdanau_seq2seq/exercises/gru_step.hpp"

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var gru_step(const Var& x, const Var& h, const Var& weight_ih, const Var& weight_hh, const Var& bias_ih,
             const Var& bias_hh) {
    // SOLUTION BEGIN 04.2
    // All three gates in one matmul per input; chunk() cuts the 3H columns into r, z, n.
    const Var gi = matmul(x, weight_ih.transpose(0, 1)) + bias_ih;  // (B, 3H)
    const Var gh = matmul(h, weight_hh.transpose(0, 1)) + bias_hh;  // (B, 3H)
    const std::vector<Var> i = chunk(gi, 3, 1);                     // 3 x (B, H)
    const std::vector<Var> g = chunk(gh, 3, 1);                     // 3 x (B, H)
    const Var r = sigmoid(i[0] + g[0]);                             // (B, H)
    const Var z = sigmoid(i[1] + g[1]);                             // (B, H)
    const Var n = tanh(i[2] + r * g[2]);                            // (B, H): b_hn inside the reset
    return (1.0 - z) * n + z * h;                                   // (B, H)
    // SOLUTION END 04.2
}

}  // namespace qkv::exercises
