#include "nn/dropout.hpp"

namespace qkv::nn {

Dropout::Dropout(double p, Generator& gen) : p_(p), gen_(gen.next_u64()) {
    if (!(p >= 0.0 && p <= 1.0)) fail("Dropout", "probability must be in [0, 1], got ", p);
}

Var Dropout::forward(const Var& x) { return dropout(x, p_, is_training(), gen_); }

}  // namespace qkv::nn
