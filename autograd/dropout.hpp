#pragma once

#include "autograd/var.hpp"

namespace qkv {

// Inverted dropout: in training, each element is zeroed with probability p and the survivors
// are scaled by 1 / (1 - p), so the expected value is unchanged and evaluation needs no
// rescaling. With training = false (or p = 0) it is the identity and returns x itself.
// The mask comes from `gen`, so a seeded run drops the same elements every time.
Var dropout(const Var& x, double p, bool training, Generator& gen = default_generator());

}  // namespace qkv
