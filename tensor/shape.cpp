#include "tensor/shape.hpp"


#include "tensor/checked_math.hpp"
#include "tensor/error.hpp"

namespace qkv {

std::int64_t shape_numel(const Shape& shape) {
    std::int64_t n = 1;
    for (auto s : shape) n = checked_mul(n, s, "shape_numel");
    return n;
}

Strides contiguous_strides(const Shape& shape) {
    Strides strides(shape.size());
    std::int64_t step = 1;
    for (std::size_t k = shape.size(); k-- > 0;) {
        strides[k] = step;
        if (__builtin_mul_overflow(step, shape[k] > 0 ? shape[k] : 1, &step))
            fail("contiguous_strides", "size arithmetic overflows: a tensor of shape ", shape_str(shape),
                 " has more elements than 64-bit sizes can count");
    }
    return strides;
}

std::string shape_str(const Shape& shape) {
    std::string s = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) {
        if (k) s += ", ";
        s += std::to_string(shape[k]);
    }
    return s + ")";
}

std::int64_t normalize_dim(std::int64_t dim, std::int64_t ndim, const char* op) {
    const std::int64_t d = dim < 0 ? dim + ndim : dim;
    if (d < 0 || d >= ndim || ndim == 0)
        fail(op, "dim ", dim, " out of range for a tensor of ", ndim, " dims");
    return d;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t k = 0; k < n; ++k) {
        // Walk from the right: position k from the end in each shape.
        const std::int64_t sa = k < a.size() ? a[a.size() - 1 - k] : 1;
        const std::int64_t sb = k < b.size() ? b[b.size() - 1 - k] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            fail(op, "shapes ", shape_str(a), " and ", shape_str(b), " cannot be broadcast: sizes ", sa, " and ",
                 sb, " differ at dim ", static_cast<std::int64_t>(n - 1 - k), " of the result");
        out[n - 1 - k] = sa == 1 ? sb : sa;
    }
    return out;
}

Shape unravel_index(std::int64_t flat, const Shape& shape) {
    Shape index(shape.size());
    for (std::size_t k = shape.size(); k-- > 0;) {
        index[k] = shape[k] > 0 ? flat % shape[k] : 0;
        flat = shape[k] > 0 ? flat / shape[k] : flat;
    }
    return index;
}

void check_shape(const Shape& shape, const char* op) {
    std::int64_t n = 1;
    for (auto s : shape) {
        if (s < 0) fail(op, "negative size ", s, " in shape ", shape_str(shape));
        if (__builtin_mul_overflow(n, s, &n)) fail(op, "shape ", shape_str(shape), " has too many elements");
    }
}

}  // namespace qkv
