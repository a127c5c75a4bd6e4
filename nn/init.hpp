// Initialising parameters: fill a tensor in place with numbers from a qkv::Generator.
//
// The names and formulas are PyTorch's (torch.nn.init), so a model initialised here starts
// from the same distributions as its PyTorch twin (not the same numbers: the generators differ).
// Each function writes through any view and returns nothing; call it on a parameter's data:
//   init::xavier_uniform_(layer.weight.data(), 1.0, gen);
#pragma once

#include <utility>

#include "tensor/tensor.hpp"

namespace qkv::nn::init {

// fan_in = size(1) * receptive, fan_out = size(0) * receptive, where receptive is the product
// of the sizes after dim 1 (1 for a matrix). For a Linear weight (out, in): (in, out).
// Throws for tensors with fewer than 2 dims, which have no fan.
std::pair<std::int64_t, std::int64_t> fan_in_and_out(const Tensor& t);

void zeros_(const Tensor& t);
void ones_(const Tensor& t);
void uniform_(const Tensor& t, double lo, double hi, Generator& gen = default_generator());
void normal_(const Tensor& t, double mean = 0.0, double std = 1.0, Generator& gen = default_generator());

// He et al. (2015) for a layer followed by a leaky ReLU of negative slope a:
//   U(-bound, bound),  bound = gain * sqrt(3 / fan_in),  gain = sqrt(2 / (1 + a^2)),
// i.e. variance gain^2 / fan_in. a = 0 is the plain ReLU case.
void kaiming_uniform_(const Tensor& t, double a = 0.0, Generator& gen = default_generator());

// Glorot and Bengio (2010): U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)),
// i.e. variance gain^2 * 2 / (fan_in + fan_out), a compromise between the forward and backward pass.
void xavier_uniform_(const Tensor& t, double gain = 1.0, Generator& gen = default_generator());

}  // namespace qkv::nn::init
