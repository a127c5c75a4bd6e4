#include "nn/init.hpp"

#include <algorithm>
#include <cmath>

namespace qkv::nn::init {

std::pair<std::int64_t, std::int64_t> fan_in_and_out(const Tensor& t) {
    if (t.dim() < 2)
        fail("init", "fan in and fan out need a tensor of at least 2 dims, got shape ", shape_str(t.shape()));
    const std::int64_t receptive = t.numel() / std::max<std::int64_t>(1, t.size(0) * t.size(1));
    return {t.size(1) * receptive, t.size(0) * receptive};
}

void zeros_(const Tensor& t) { fill_(t, 0.0); }
void ones_(const Tensor& t) { fill_(t, 1.0); }

void uniform_(const Tensor& t, double lo, double hi, Generator& gen) { qkv::uniform_(t, lo, hi, gen); }

void normal_(const Tensor& t, double mean, double std, Generator& gen) { qkv::normal_(t, mean, std, gen); }

void kaiming_uniform_(const Tensor& t, double a, Generator& gen) {
    const auto [fan_in, fan_out] = fan_in_and_out(t);
    if (fan_in == 0) return;  // an empty tensor: nothing to fill
    const double gain = std::sqrt(2.0 / (1.0 + a * a));
    const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in));
    qkv::uniform_(t, -bound, bound, gen);
}

void xavier_uniform_(const Tensor& t, double gain, Generator& gen) {
    const auto [fan_in, fan_out] = fan_in_and_out(t);
    if (fan_in + fan_out == 0) return;
    const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    qkv::uniform_(t, -bound, bound, gen);
}

}  // namespace qkv::nn::init
