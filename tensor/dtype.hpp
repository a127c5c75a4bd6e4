// Element types. Float32 is for training, Float64 for gradient checking, Int64 for token ids
// and indices, Bool for masks (one byte per element, 0 or 1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "tensor/error.hpp"

namespace qkv {

enum class DType : std::uint8_t { Float32, Float64, Int64, Bool };

inline const char* dtype_name(DType t) {
    switch (t) {
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
        case DType::Int64: return "int64";
        case DType::Bool: return "bool";
    }
    return "?";
}

inline std::size_t dtype_size(DType t) {
    switch (t) {
        case DType::Float32: return 4;
        case DType::Float64: return 8;
        case DType::Int64: return 8;
        case DType::Bool: return 1;
    }
    return 0;
}

inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }

// The C++ type stored for each dtype. Bool is stored as one byte (std::uint8_t), not as
// `bool`, so that any byte pattern read from a file is a valid object.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<std::uint8_t> { static constexpr DType value = DType::Bool; };
template <class T> inline constexpr DType dtype_v = dtype_of<T>::value;

template <class T> struct type_tag { using type = T; };

// NaN test that also compiles (to false) for integer element types.
template <class T> constexpr bool is_nan(T v) {
    if constexpr (std::is_floating_point_v<T>) return v != v;
    else return false;
}

// Converts a value to element type T the way a tensor stores it: bool is (v != 0); an integer
// type truncates toward zero and rejects NaN, infinities and out-of-range values (casting those
// is undefined behaviour in C++).
template <class T, class S>
T convert_element(S v, const char* op) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        return static_cast<T>(v != S(0));
    } else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<S>) {
        // int64 holds [-2^63, 2^63); both bounds are exact doubles, so every double in that range
        // converts (and NaN fails both comparisons).
        if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
            fail(op, "value ", v, " cannot be stored in an integer tensor");
        return static_cast<T>(v);
    } else {
        return static_cast<T>(v);
    }
}

// Calls f(type_tag<T>{}) with T the C++ type of `t`. AllowInt / AllowBool say whether the caller
// supports int64 / bool; f is only instantiated for the types allowed, and any other dtype throws
// "op: dtype X is not supported".
template <bool AllowInt = true, bool AllowBool = true, class F>
decltype(auto) dispatch(DType t, const char* op, F&& f) {
    switch (t) {
        case DType::Float32: return f(type_tag<float>{});
        case DType::Float64: return f(type_tag<double>{});
        case DType::Int64:
            if constexpr (AllowInt) return f(type_tag<std::int64_t>{});
            break;
        case DType::Bool:
            if constexpr (AllowBool) return f(type_tag<std::uint8_t>{});
            break;
    }
    fail(op, "dtype ", dtype_name(t), " is not supported");
}

// Floating-point dtypes only (math functions, softmax, matmul, ...).
template <class F>
decltype(auto) dispatch_float(DType t, const char* op, F&& f) {
    if (!is_floating(t)) fail(op, "expected a floating-point tensor (float32 or float64), got ", dtype_name(t));
    if (t == DType::Float32) return f(type_tag<float>{});
    return f(type_tag<double>{});
}

}  // namespace qkv
