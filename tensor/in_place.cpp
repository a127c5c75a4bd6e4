// Elementwise ops in place (tensor/elementwise.hpp): a op= b, written through any view of a.
#include "tensor/elementwise.hpp"

#include "tensor/creation.hpp"
#include "tensor/map.hpp"

namespace qkv {

// ---- in place --------------------------------------------------------------------------------
void add_(const Tensor& a, const Tensor& b, double alpha) {
    if (alpha == 1.0) return update_binary<Accepts::Numeric>("add_", a, b, [](auto x, auto y) { return x + y; });
    update_binary<Accepts::Numeric>("add_", a, b, [alpha](auto x, auto y) {
        using T = decltype(x);
        return x + static_cast<T>(alpha) * y;
    });
}
void sub_(const Tensor& a, const Tensor& b) { update_binary<Accepts::Numeric>("sub_", a, b, [](auto x, auto y) { return x - y; }); }
void mul_(const Tensor& a, const Tensor& b) { update_binary<Accepts::Numeric>("mul_", a, b, [](auto x, auto y) { return x * y; }); }
void div_(const Tensor& a, const Tensor& b) { update_binary<Accepts::Floating>("div_", a, b, [](auto x, auto y) { return x / y; }); }
void add_(const Tensor& a, double b) {
    a.check_defined("add_");
    add_(a, scalar(b, a.dtype()));
}
void mul_(const Tensor& a, double b) {
    a.check_defined("mul_");
    mul_(a, scalar(b, a.dtype()));
}
void fill_(const Tensor& a, double value) {
    a.check_defined("fill_");
    copy_(a, scalar(value, DType::Float64));
}
void zero_(const Tensor& a) { fill_(a, 0.0); }
void clamp_(const Tensor& a, double lo, double hi) { copy_(a, clamp(a, lo, hi)); }

}  // namespace qkv
