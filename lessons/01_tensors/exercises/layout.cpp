// Lesson 01's exercises. Each function body between the SOLUTION markers is what you write.
#include "lessons/01_tensors/exercises/layout.hpp"

#include <algorithm>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

std::int64_t element_offset(const Tensor& t, const Shape& index) {
    // SOLUTION BEGIN 01.1
    if (index.size() != t.shape().size())
        fail("element_offset", "index ", shape_str(index), " has ", index.size(), " entries for a tensor of shape ",
             shape_str(t.shape()));
    std::int64_t at = t.offset();
    for (std::size_t k = 0; k < index.size(); ++k) {
        if (index[k] < 0 || index[k] >= t.shape()[k])
            fail("element_offset", "index ", shape_str(index), " out of range for shape ", shape_str(t.shape()));
        at += index[k] * t.strides()[k];
    }
    return at;
    // SOLUTION END 01.1
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
    // SOLUTION BEGIN 01.2
    // Walk both shapes from the right; a missing leading dim counts as size 1.
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t k = 0; k < n; ++k) {
        const std::int64_t sa = k < a.size() ? a[a.size() - 1 - k] : 1;
        const std::int64_t sb = k < b.size() ? b[b.size() - 1 - k] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            fail("broadcast_shapes", "shapes ", shape_str(a), " and ", shape_str(b), " cannot be broadcast: sizes ", sa,
                 " and ", sb, " differ");
        out[n - 1 - k] = sa == 1 ? sb : sa;
    }
    return out;
    // SOLUTION END 01.2
}

Tensor slice_view(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
    // SOLUTION BEGIN 01.3
    const std::int64_t d = normalize_dim(dim, t.dim(), "slice_view");
    if (step < 1) fail("slice_view", "step must be >= 1, got ", step);
    const std::int64_t n = t.shape()[d];
    const auto clamp = [n](std::int64_t i) { return std::clamp(i < 0 ? i + n : i, std::int64_t{0}, n); };
    const std::int64_t s = clamp(start), e = std::max(clamp(end), s);
    Shape shape = t.shape();
    Strides strides = t.strides();
    shape[d] = (e - s + step - 1) / step;  // ceil((e - s) / step) elements
    strides[d] *= step;                    // every step-th element
    return Tensor(t.storage(), shape, strides, t.offset() + s * t.strides()[d], t.dtype());
    // SOLUTION END 01.3
}

bool view_strides(const Shape& old_shape, const Strides& old_strides, const Shape& new_shape, Strides& strides) {
    // SOLUTION BEGIN 01.4
    strides.assign(new_shape.size(), 0);
    if (shape_numel(old_shape) == 0) {
        strides = contiguous_strides(new_shape);
        return true;
    }
    // Size-1 dims of the old shape constrain nothing: drop them.
    Shape os;
    Strides ost;
    for (std::size_t k = 0; k < old_shape.size(); ++k)
        if (old_shape[k] != 1) os.push_back(old_shape[k]), ost.push_back(old_strides[k]);
    std::size_t oi = 0, ni = 0;
    while (ni < new_shape.size()) {
        if (new_shape[ni] == 1) {  // a new size-1 dim may take any stride
            strides[ni++] = 1;
            continue;
        }
        if (oi >= os.size()) return false;
        // Grow a group of old dims [oi, oj) and of new dims [ni, nj) until they hold the same
        // number of elements; the old group must be one run: stride[k] == stride[k+1] * size[k+1].
        std::size_t oj = oi + 1, nj = ni + 1;
        std::int64_t old_count = os[oi], new_count = new_shape[ni];
        while (old_count != new_count) {
            if (old_count < new_count) {
                if (oj >= os.size() || ost[oj - 1] != ost[oj] * os[oj]) return false;
                old_count *= os[oj++];
            } else {
                if (nj >= new_shape.size()) return false;
                new_count *= new_shape[nj++];
            }
        }
        // The new group, row-major, stepping by the run's innermost stride.
        std::int64_t step = ost[oj - 1];
        for (std::size_t k = nj; k-- > ni;) {
            strides[k] = step;
            step *= new_shape[k];
        }
        oi = oj;
        ni = nj;
    }
    return oi == os.size();
    // SOLUTION END 01.4
}

}  // namespace qkv::exercises
