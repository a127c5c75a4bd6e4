// Views: new shape/strides/offset over the same storage, so no element is copied.
//   transpose swaps two strides; slice moves the offset and multiplies a stride by the step;
//   expand sets the stride of a broadcast dim to 0, so every index reads the same element.
#include <algorithm>
#include <numeric>

#include "tensor/checked_math.hpp"
#include "tensor/core.hpp"

namespace qkv {
namespace {

// Resolves one -1 in `shape` from the element count, and checks the count matches.
Shape infer_shape(Shape shape, std::int64_t numel, const Shape& from, const char* op) {
    std::int64_t known = 1, unknown_at = -1;
    for (std::size_t k = 0; k < shape.size(); ++k) {
        if (shape[k] == -1) {
            if (unknown_at >= 0) fail(op, "only one size may be -1, got ", shape_str(shape));
            unknown_at = static_cast<std::int64_t>(k);
        } else if (shape[k] < 0) {
            fail(op, "invalid size ", shape[k], " in ", shape_str(shape));
        } else {
            known = checked_mul(known, shape[k], op);
        }
    }
    if (unknown_at >= 0) {
        if (known == 0 || numel % known != 0)
            fail(op, "cannot reshape ", shape_str(from), " (", numel, " elements) to ", shape_str(shape));
        shape[static_cast<std::size_t>(unknown_at)] = numel / known;
    } else if (known != numel) {
        fail(op, "cannot reshape ", shape_str(from), " (", numel, " elements) to ", shape_str(shape), " (", known,
             " elements)");
    }
    return shape;
}

// Strides that let the existing layout be read as `shape` without copying, or an empty result
// when that is impossible. Dims of the old shape are grouped into runs that are contiguous
// among themselves (stride[k] == stride[k+1] * size[k+1]); a new dim may only split or merge
// within one run, never across a jump in memory.
bool view_strides(const Shape& old_shape, const Strides& old_strides, const Shape& shape, Strides& out) {
    out.assign(shape.size(), 0);
    if (shape_numel(old_shape) == 0) {
        out = contiguous_strides(shape);
        return true;
    }
    // Drop size-1 dims of the old shape; they do not constrain anything.
    Shape os;
    Strides ost;
    for (std::size_t k = 0; k < old_shape.size(); ++k)
        if (old_shape[k] != 1) os.push_back(old_shape[k]), ost.push_back(old_strides[k]);
    std::size_t oi = 0, ni = 0;
    while (ni < shape.size()) {
        if (shape[ni] == 1) {  // a new size-1 dim can have any stride
            out[ni++] = 1;
            continue;
        }
        if (oi >= os.size()) return false;
        // Take old dims [oi, oj) forming one contiguous run whose element count matches a group
        // of new dims [ni, nj).
        std::size_t oj = oi + 1, nj = ni + 1;
        std::int64_t old_count = os[oi], new_count = shape[ni];
        while (old_count != new_count) {
            if (old_count < new_count) {
                if (oj >= os.size() || ost[oj - 1] != ost[oj] * os[oj]) return false;
                old_count *= os[oj++];
            } else {
                if (nj >= shape.size()) return false;
                new_count *= shape[nj++];
            }
        }
        // Lay the new group out row-major with the run's innermost stride.
        std::int64_t step = ost[oj - 1];
        for (std::size_t k = nj; k-- > ni;) {
            out[k] = step;
            step *= shape[k];
        }
        oi = oj;
        ni = nj;
    }
    return oi == os.size();
}

}  // namespace

Tensor Tensor::view(Shape shape) const {
    check_defined("view");
    shape = infer_shape(std::move(shape), numel(), shape_, "view");
    Strides strides;
    if (!view_strides(shape_, strides_, shape, strides))
        fail("view", "a tensor of shape ", shape_str(shape_), " with strides ", shape_str(strides_),
             " cannot be viewed as ", shape_str(shape), " without a copy; use reshape() or contiguous()");
    return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::reshape(Shape shape) const {
    check_defined("reshape");
    shape = infer_shape(std::move(shape), numel(), shape_, "reshape");
    Strides strides;
    if (view_strides(shape_, strides_, shape, strides)) return Tensor(storage_, shape, strides, offset_, dtype_);
    return clone().view(shape);  // the layout cannot express `shape`: copy, then view
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
    check_defined("flatten");
    if (dim() == 0) return reshape({1});
    const std::int64_t s = normalize_dim(start_dim, dim(), "flatten");
    const std::int64_t e = normalize_dim(end_dim, dim(), "flatten");
    if (s > e) fail("flatten", "start_dim ", start_dim, " comes after end_dim ", end_dim);
    Shape shape(shape_.begin(), shape_.begin() + s);
    shape.push_back(std::accumulate(shape_.begin() + s, shape_.begin() + e + 1, std::int64_t{1}, std::multiplies<>()));
    shape.insert(shape.end(), shape_.begin() + e + 1, shape_.end());
    return reshape(shape);
}

Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const {
    check_defined("transpose");
    const std::int64_t a = normalize_dim(d0, dim(), "transpose"), b = normalize_dim(d1, dim(), "transpose");
    Shape shape = shape_;
    Strides strides = strides_;
    std::swap(shape[a], shape[b]);
    std::swap(strides[a], strides[b]);
    return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::t() const {
    if (dim() != 2) fail("t", "expected a 2-d tensor, got shape ", shape_str(shape_));
    return transpose(0, 1);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& order) const {
    check_defined("permute");
    if (static_cast<std::int64_t>(order.size()) != dim())
        fail("permute", "order has ", order.size(), " entries for a tensor of shape ", shape_str(shape_));
    Shape shape(order.size());
    Strides strides(order.size());
    std::vector<bool> seen(order.size(), false);
    for (std::size_t k = 0; k < order.size(); ++k) {
        const std::int64_t d = normalize_dim(order[k], dim(), "permute");
        if (seen[d]) fail("permute", "dim ", d, " appears twice in the order ", shape_str(order));
        seen[d] = true;
        shape[k] = shape_[d];
        strides[k] = strides_[d];
    }
    return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::slice(std::int64_t dim_, std::int64_t start, std::int64_t end, std::int64_t step) const {
    check_defined("slice");
    const std::int64_t d = normalize_dim(dim_, dim(), "slice");
    if (step < 1) fail("slice", "step must be >= 1, got ", step);
    const std::int64_t n = shape_[d];
    // Python's rules: negative positions count from the end, out-of-range ones are clamped.
    auto clampi = [n](std::int64_t i) { return std::clamp(i < 0 ? i + n : i, std::int64_t{0}, n); };
    const std::int64_t s = clampi(start), e = std::max(clampi(end), s);
    Shape shape = shape_;
    Strides strides = strides_;
    shape[d] = (e - s + step - 1) / step;
    strides[d] = strides_[d] * step;
    return Tensor(storage_, shape, strides, offset_ + s * strides_[d], dtype_);
}

Tensor Tensor::narrow(std::int64_t dim_, std::int64_t start, std::int64_t length) const {
    check_defined("narrow");
    const std::int64_t d = normalize_dim(dim_, dim(), "narrow");
    if (start < 0 || length < 0 || start + length > shape_[d])
        fail("narrow", "start ", start, " and length ", length, " do not fit dim ", d, " of size ", shape_[d]);
    return slice(d, start, start + length);
}

Tensor Tensor::select(std::int64_t dim_, std::int64_t index) const {
    check_defined("select");
    const std::int64_t d = normalize_dim(dim_, dim(), "select");
    const std::int64_t i = index < 0 ? index + shape_[d] : index;
    if (i < 0 || i >= shape_[d]) fail("select", "index ", index, " out of range for dim ", d, " of size ", shape_[d]);
    Shape shape = shape_;
    Strides strides = strides_;
    shape.erase(shape.begin() + d);
    strides.erase(strides.begin() + d);
    return Tensor(storage_, shape, strides, offset_ + i * strides_[d], dtype_);
}

Tensor Tensor::expand(const Shape& target) const {
    check_defined("expand");
    if (target.size() < shape_.size())
        fail("expand", "cannot expand shape ", shape_str(shape_), " to fewer dims ", shape_str(target));
    const std::size_t lead = target.size() - shape_.size();
    Shape shape(target.size());
    Strides strides(target.size(), 0);  // new leading dims read the same elements: stride 0
    for (std::size_t k = 0; k < target.size(); ++k) {
        if (k < lead) {
            if (target[k] < 0) fail("expand", "size -1 is not allowed for a new leading dim in ", shape_str(target));
            shape[k] = target[k];
            continue;
        }
        const std::int64_t have = shape_[k - lead];
        const std::int64_t want = target[k] == -1 ? have : target[k];
        if (want == have) {
            shape[k] = have;
            strides[k] = strides_[k - lead];
        } else if (have == 1) {
            shape[k] = want;  // stride stays 0
        } else {
            fail("expand", "cannot expand shape ", shape_str(shape_), " to ", shape_str(target), ": size ", have,
                 " at dim ", k - lead, " is not 1");
        }
    }
    return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze() const {
    check_defined("squeeze");
    Shape shape;
    Strides strides;
    for (std::size_t k = 0; k < shape_.size(); ++k)
        if (shape_[k] != 1) shape.push_back(shape_[k]), strides.push_back(strides_[k]);
    return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze(std::int64_t dim_) const {
    check_defined("squeeze");
    const std::int64_t d = normalize_dim(dim_, dim(), "squeeze");
    if (shape_[d] != 1) return *this;
    return select(d, 0);
}

Tensor Tensor::unsqueeze(std::int64_t dim_) const {
    check_defined("unsqueeze");
    const std::int64_t d = normalize_dim(dim_, dim() + 1, "unsqueeze");
    Shape shape = shape_;
    Strides strides = strides_;
    // The new dim has size 1, so its stride is never used; give it the natural value.
    const std::int64_t s = d < dim() ? strides_[d] * shape_[d] : 1;
    shape.insert(shape.begin() + d, 1);
    strides.insert(strides.begin() + d, s);
    return Tensor(storage_, shape, strides, offset_, dtype_);
}

}  // namespace qkv
