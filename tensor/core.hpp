// The Tensor: shared storage + dtype + shape + strides + offset (see shape.hpp for the index
// arithmetic). Copying a Tensor is cheap and makes another handle to the same elements, as in
// PyTorch; use clone() for a deep copy.
//
// This header holds the data structure and the view methods. The ops live in their own files:
// creation.hpp, elementwise.hpp, reduce.hpp, softmax.hpp, matmul.hpp, indexing.hpp, random.hpp,
// print.hpp, npy.hpp, safetensors.hpp; tensor.hpp includes them all.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "tensor/dtype.hpp"
#include "tensor/shape.hpp"
#include "tensor/storage.hpp"

namespace qkv {

class Tensor {
public:
    Tensor() = default;  // an undefined tensor: defined() is false, every other use throws

    // A new contiguous tensor of zeros.
    Tensor(const Shape& shape, DType dtype);
    // A new contiguous tensor whose values are garbage: for kernels that overwrite every element
    // (saves the pass that zeroes memory).
    static Tensor uninitialized(const Shape& shape, DType dtype);
    // A view: `shape`/`strides` (in elements) starting `offset` elements into `storage`.
    // Checks that every reachable element lies inside the storage.
    Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, std::int64_t offset, DType dtype);

    // ---- what it is ------------------------------------------------------------------------
    bool defined() const { return storage_ != nullptr; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    const Strides& strides() const { return strides_; }
    std::int64_t offset() const { return offset_; }
    std::int64_t dim() const { return static_cast<std::int64_t>(shape_.size()); }
    std::int64_t size(std::int64_t d) const;    // negative d counts from the end
    std::int64_t stride(std::int64_t d) const;
    std::int64_t numel() const { return shape_numel(shape_); }
    bool is_contiguous() const;
    const std::shared_ptr<Storage>& storage() const { return storage_; }
    // True when both are views of the same storage.
    bool shares_storage_with(const Tensor& other) const { return defined() && storage_ == other.storage_; }

    // Pointer to element (0, ..., 0); T must match dtype() (float, double, int64_t, uint8_t).
    template <class T> T* data() const {
        check_defined("data");
        if (dtype_v<T> != dtype_)
            fail("data", "requested ", dtype_name(dtype_v<T>), " from a ", dtype_name(dtype_), " tensor");
        return reinterpret_cast<T*>(storage_->bytes()) + offset_;
    }

    // ---- single elements ---------------------------------------------------------------------
    // The value of a one-element tensor, as double.
    double item() const;
    // The element at `index` (one entry per dim, negative counts from the end), as double.
    double at(std::initializer_list<std::int64_t> index) const;
    // Writes `value` (converted to dtype()) at `index`.
    void set(std::initializer_list<std::int64_t> index, double value);
    // All elements in row-major order, converted to T.
    template <class T> std::vector<T> to_vector() const;

    // ---- copies and conversion ---------------------------------------------------------------
    Tensor contiguous() const;  // itself if already contiguous, else a row-major copy
    Tensor clone() const;       // always a fresh row-major copy
    Tensor to(DType dtype) const;  // converted copy (itself if the dtype already matches)

    // ---- views: no data is copied (views.cpp) -------------------------------------------------
    // reshape copies only when the strides cannot express the new shape (view() throws instead).
    // One size may be -1, inferred from the others.
    Tensor reshape(Shape shape) const;
    Tensor view(Shape shape) const;
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    Tensor transpose(std::int64_t d0, std::int64_t d1) const;
    Tensor permute(const std::vector<std::int64_t>& order) const;
    Tensor t() const;  // transpose of a 2-d tensor
    // Elements start, start+step, ... < end along `dim` (negative start/end count from the end,
    // and are clamped to the size, as in Python slicing; step >= 1).
    Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
    Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    Tensor select(std::int64_t dim, std::int64_t index) const;  // drops `dim`
    // Broadcast to `shape` with stride 0 along expanded dims; -1 keeps a size.
    Tensor expand(const Shape& shape) const;
    Tensor squeeze() const;                 // drops every size-1 dim
    Tensor squeeze(std::int64_t dim) const;  // drops `dim` if its size is 1
    Tensor unsqueeze(std::int64_t dim) const;

    // Element offset (into storage) of a multi-index; checks the bounds.
    std::int64_t offset_of(std::initializer_list<std::int64_t> index, const char* op) const;
    void check_defined(const char* op) const {
        if (!defined()) fail(op, "the tensor is undefined (default-constructed)");
    }

private:
    std::shared_ptr<Storage> storage_;
    Shape shape_;
    Strides strides_;
    std::int64_t offset_ = 0;
    DType dtype_ = DType::Float32;
};

// "float32 (2, 3)": how messages describe an operand.
std::string describe(const Tensor& t);

// Throws "op: cannot write in place to an expanded tensor ..." when several of t's elements
// share one memory location (a stride-0 dim of size > 1): an in-place write would be ambiguous.
void check_writable(const Tensor& t, const char* op);

// Copies src's elements into dst (whose elements are overwritten in place, through any view),
// broadcasting src to dst's shape and converting the dtype. Overlapping src and dst are handled.
void copy_(const Tensor& dst, const Tensor& src);

}  // namespace qkv

#include "tensor/strided_loop.hpp"

namespace qkv {

template <class T> std::vector<T> Tensor::to_vector() const {
    check_defined("to_vector");
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(numel()));
    dispatch(dtype_, "to_vector", [&](auto tag) {
        using S = typename decltype(tag)::type;
        const S* base = reinterpret_cast<const S*>(storage_->bytes());
        for_each_offset<1>(shape_, {strides_.data()}, {offset_},
                           [&](const std::int64_t* off) { out.push_back(static_cast<T>(base[off[0]])); });
    });
    return out;
}

}  // namespace qkv
