// BERT's masking (Devlin et al. 2018, section 3.1, "Task #1: Masked LM"): choose 15% of the
// tokens of each sequence as prediction targets, then replace each chosen token
//
//   with [MASK]                 80% of the time   "my dog is [MASK]"
//   with a random token         10% of the time   "my dog is apple"
//   by itself (unchanged)       10% of the time   "my dog is hairy"
//
// Only [MASK] would teach the model that a visible token is never a target; fine-tuning inputs
// have no [MASK] at all. The random and unchanged 20% make it keep a good representation of
// every token, since any of them might be the one it is asked about.
//
// As in the original data code (create_pretraining_data.py), each sequence gets a fixed number
// of targets, max(1, round(0.15 * n)), drawn without replacement from its candidate positions;
// [CLS], [SEP], [PAD] (every special token) are never candidates. Two small changes: n counts
// the candidates only (the original counts [CLS] and [SEP] too, and rounds halves to even), and
// a random replacement is drawn from the ordinary tokens only (the original could draw [CLS]).
//
// Shapes: B = batch, T = tokens.
#pragma once

#include "nn/text/vocab.hpp"
#include "tensor/tensor.hpp"

namespace qkv::nn {

struct MaskingOptions {
    double mlm_probability = 0.15;  // the share of candidate positions chosen
    double mask_fraction = 0.8;     // of the chosen: replaced by [MASK]
    double random_fraction = 0.1;   // of the chosen: replaced by a random ordinary token (the rest stay)
};

struct MaskedTokens {
    Tensor input_ids;  // (B, T) int64: what the model sees
    Tensor targets;    // (B, T) int64: the original tokens (== the input ids before masking)
    Tensor chosen;     // (B, T) bool: the prediction targets
    Tensor labels;     // (B, T) int64: targets at chosen positions, -100 elsewhere (Hugging Face's labels)
};

// ids (B, T) int64 holding ids of `vocab`, padded with [PAD]. Draws from `gen` row by row.
MaskedTokens mask_tokens(const Tensor& ids, const Vocab& vocab, Generator& gen,
                         const MaskingOptions& options = {});

}  // namespace qkv::nn
