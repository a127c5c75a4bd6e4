#include "lessons/04_bahdanau_seq2seq/exercises/additive_score.hpp"

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var additive_scores(const Var& q, const Var& k, const Var& W_q, const Var& W_k, const Var& w_v) {
    // SOLUTION BEGIN 04.1
    // Project every query and every key once (Tq + Tk projections), then pair them by
    // broadcasting: (B, Tq, 1, A) + (B, 1, Tk, A) is every (query, key) pair's hidden layer.
    const Var q_h = matmul(q, W_q.transpose(0, 1)).unsqueeze(2);  // (B, Tq, A) -> (B, Tq, 1, A)
    const Var k_h = matmul(k, W_k.transpose(0, 1)).unsqueeze(1);  // (B, Tk, A) -> (B, 1, Tk, A)
    const Var features = tanh(q_h + k_h);                          // (B, Tq, Tk, A)
    return matmul(features, w_v.transpose(0, 1)).squeeze(-1);      // (B, Tq, Tk, 1) -> (B, Tq, Tk)
    // SOLUTION END 04.1
}

}  // namespace qkv::exercises
