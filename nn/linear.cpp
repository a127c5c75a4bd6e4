#include "nn/linear.hpp"

#include <cmath>

#include "nn/init.hpp"

namespace qkv::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options, Generator& gen)
    : in_(in_features), out_(out_features) {
    if (in_features < 1 || out_features < 1)
        fail("Linear", "in and out features must be >= 1, got in=", in_features, ", out=", out_features);
    weight = parameter(zeros({out_, in_}));
    if (options.bias) bias = parameter(zeros({out_}));
    reset_parameters(gen);
}

// PyTorch's nn.Linear.reset_parameters runs kaiming_uniform_(weight, a = sqrt(5)):
//   gain = sqrt(2 / (1 + 5)) = 1/sqrt(3),  bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in),
// and draws the bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too. Its documentation states the
// result: both ~ U(-sqrt(k), sqrt(k)) with k = 1 / in_features. Each output then starts with a
// variance of about 1/3 of its input's, whatever the width.
void Linear::reset_parameters(Generator& gen) {
    init::kaiming_uniform_(weight.data(), std::sqrt(5.0), gen);
    if (bias.defined()) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
        init::uniform_(bias.data(), -bound, bound, gen);
    }
}

Var Linear::forward(const Var& x) {
    if (x.dim() == 0 || x.size(-1) != in_)
        fail("Linear(in=" + std::to_string(in_) + ", out=" + std::to_string(out_) + ")", "input ",
             shape_str(x.shape()), x.dim() == 0 ? " has no last dim" : " has last dim " + std::to_string(x.size(-1)),
             ", expected ", in_);
    // One (N, in) @ (in, out) product over every leading position at once, rather than a
    // batch of small ones; W^T is a free transposed view.
    Shape out_shape = x.shape();
    out_shape.back() = out_;
    Var y = matmul(x.reshape({-1, in_}), weight.t());  // (N, out)
    if (bias.defined()) y = y + bias;                   // (out) broadcasts over the N rows
    return y.reshape(out_shape);                        // (..., out)
}

void Linear::visit(Visitor& v) {
    v.param("weight", weight);
    v.param("bias", bias);
}

std::string Linear::describe() const {
    return cat("in=", in_, ", out=", out_, ", bias=", bias.defined() ? "true" : "false");
}

}  // namespace qkv::nn
