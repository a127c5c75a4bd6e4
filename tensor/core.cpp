#include "tensor/core.hpp"

#include <cmath>
#include <cstring>

#include "tensor/checked_math.hpp"
#include "tensor/strided_loop.hpp"

namespace qkv {

namespace {
std::size_t storage_bytes(const Shape& shape, DType dtype) {
    return static_cast<std::size_t>(checked_mul(shape_numel(shape), static_cast<std::int64_t>(dtype_size(dtype)), "Tensor"));
}
}  // namespace

// The shape is checked before anything is computed from it (strides, bytes).
Tensor::Tensor(const Shape& shape, DType dtype) : shape_((check_shape(shape, "Tensor"), shape)), offset_(0), dtype_(dtype) {
    strides_ = contiguous_strides(shape);
    storage_ = std::make_shared<Storage>(storage_bytes(shape, dtype));
}

Tensor Tensor::uninitialized(const Shape& shape, DType dtype) {
    check_shape(shape, "Tensor");
    return Tensor(std::make_shared<Storage>(storage_bytes(shape, dtype), Storage::Uninitialized{}), shape, contiguous_strides(shape), 0,
                  dtype);
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, std::int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)), offset_(offset),
      dtype_(dtype) {
    if (!storage_) fail("Tensor", "view of a null storage");
    if (shape_.size() != strides_.size())
        fail("Tensor", "shape ", shape_str(shape_), " and ", strides_.size(), " strides differ in rank");
    check_shape(shape_, "Tensor");
    if (numel() == 0) return;
    // The lowest and highest element positions the view can reach must lie inside the storage.
    std::int64_t lo = offset_, hi = offset_;
    for (std::size_t k = 0; k < shape_.size(); ++k) {
        const std::int64_t reach = checked_mul(strides_[k], shape_[k] - 1, "Tensor");
        std::int64_t& end = reach < 0 ? lo : hi;
        end = checked_add(end, reach, "Tensor");
    }
    const auto capacity = static_cast<std::int64_t>(storage_->nbytes() / dtype_size(dtype_));
    if (lo < 0 || hi >= capacity)
        fail("Tensor", "view ", shape_str(shape_), " with offset ", offset_, " reaches elements ", lo, "..", hi,
             " outside a storage of ", capacity, " elements");
}

std::int64_t Tensor::size(std::int64_t d) const { return shape_[normalize_dim(d, dim(), "size")]; }
std::int64_t Tensor::stride(std::int64_t d) const { return strides_[normalize_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
    std::int64_t expected = 1;
    for (std::size_t k = shape_.size(); k-- > 0;) {
        if (shape_[k] == 1) continue;  // the stride of a size-1 dim never matters
        if (strides_[k] != expected) return false;
        expected *= shape_[k];
    }
    return true;
}

std::string describe(const Tensor& t) {
    if (!t.defined()) return "undefined tensor";
    return cat(dtype_name(t.dtype()), ' ', shape_str(t.shape()));
}

std::int64_t Tensor::offset_of(std::initializer_list<std::int64_t> index, const char* op) const {
    check_defined(op);
    if (static_cast<std::int64_t>(index.size()) != dim())
        fail(op, "got ", index.size(), " indices for a tensor of shape ", shape_str(shape_));
    std::int64_t off = offset_;
    std::size_t k = 0;
    for (auto i : index) {
        const std::int64_t j = i < 0 ? i + shape_[k] : i;
        if (j < 0 || j >= shape_[k]) fail(op, "index ", i, " out of range for dim ", k, " of size ", shape_[k]);
        off += j * strides_[k];
        ++k;
    }
    return off;
}

namespace {
double read_as_double(const Tensor& t, std::int64_t off) {
    return dispatch(t.dtype(), "item", [&](auto tag) {
        using T = typename decltype(tag)::type;
        return static_cast<double>(reinterpret_cast<const T*>(t.storage()->bytes())[off]);
    });
}
}  // namespace

double Tensor::item() const {
    check_defined("item");
    if (numel() != 1) fail("item", "expected a tensor with one element, got shape ", shape_str(shape_));
    return read_as_double(*this, offset_);
}

double Tensor::at(std::initializer_list<std::int64_t> index) const { return read_as_double(*this, offset_of(index, "at")); }

void Tensor::set(std::initializer_list<std::int64_t> index, double value) {
    const std::int64_t off = offset_of(index, "set");
    dispatch(dtype_, "set", [&](auto tag) {
        using T = typename decltype(tag)::type;
        reinterpret_cast<T*>(storage_->bytes())[off] = convert_element<T>(value, "set");
    });
}

void check_writable(const Tensor& t, const char* op) {
    t.check_defined(op);
    for (std::int64_t k = 0; k < t.dim(); ++k)
        if (t.strides()[k] == 0 && t.shape()[k] > 1)
            fail(op, "cannot write in place to an expanded tensor (shape ", shape_str(t.shape()), ", strides ",
                 shape_str(t.strides()), "): its elements share memory; clone() it first");
}

void copy_(const Tensor& dst, const Tensor& src) {
    check_writable(dst, "copy_");
    src.check_defined("copy_");
    if (broadcast_shapes(dst.shape(), src.shape(), "copy_") != dst.shape())
        fail("copy_", "source of shape ", shape_str(src.shape()), " does not broadcast to the destination's shape ",
             shape_str(dst.shape()));
    Tensor from = src.expand(dst.shape());
    // If the two views share storage, read from a private copy first so no element is
    // overwritten before it is read.
    if (from.shares_storage_with(dst)) from = from.clone();
    dispatch(dst.dtype(), "copy_", [&](auto dtag) {
        using D = typename decltype(dtag)::type;
        dispatch(from.dtype(), "copy_", [&](auto stag) {
            using S = typename decltype(stag)::type;
            D* out = reinterpret_cast<D*>(dst.storage()->bytes());
            const S* in = reinterpret_cast<const S*>(from.storage()->bytes());
            for_each_row<2>(dst.shape(), {dst.strides().data(), from.strides().data()}, {dst.offset(), from.offset()},
                            [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step) {
                                D* o = out + off[0];
                                const S* i = in + off[1];
                                if constexpr (std::is_same_v<D, S>) {
                                    if (step[0] == 1 && step[1] == 1)
                                        std::memcpy(o, i, static_cast<std::size_t>(n) * sizeof(D));
                                    else
                                        for (std::int64_t k = 0; k < n; ++k) o[k * step[0]] = i[k * step[1]];
                                } else {
                                    for (std::int64_t k = 0; k < n; ++k)
                                        o[k * step[0]] = convert_element<D>(i[k * step[1]], "copy_");
                                }
                            });
        });
    });
}

Tensor Tensor::clone() const {
    check_defined("clone");
    Tensor out = uninitialized(shape_, dtype_);
    copy_(out, *this);
    return out;
}

Tensor Tensor::contiguous() const {
    check_defined("contiguous");
    return is_contiguous() ? *this : clone();
}

Tensor Tensor::to(DType dtype) const {
    check_defined("to");
    if (dtype == dtype_) return *this;
    Tensor out = uninitialized(shape_, dtype);
    copy_(out, *this);
    return out;
}

}  // namespace qkv
