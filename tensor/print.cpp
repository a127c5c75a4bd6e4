// Printing tensors the way PyTorch does, and comparing them.
//
// Printing rules:
//   - Every element is formatted first; all are then right-aligned to the widest, so columns
//     line up across rows.
//   - float32/float64 use 4 decimals ("3.1416"), unless the largest finite magnitude is >= 1e8
//     or the smallest nonzero finite magnitude is < 1e-4; then every element is in scientific
//     notation ("1.2346e+05"), so tiny values do not print as 0.0000. (PyTorch also switches
//     when max / min > 1000; we keep only these two rules.) nan, inf and -inf print as such.
//   - int64 prints as integers, bool as True / False.
//   - Nested dims are bracketed like nested lists: rows of a matrix on their own lines, a blank
//     line between matrices of a 3-d tensor (two between the blocks of a 4-d tensor, ...).
//     A row longer than 80 columns wraps, continuing under its first element.
//   - Above 1000 elements, each dim longer than 6 shows its first and last 3 entries with
//     "..." between them, and only the shown elements decide the format.
#include "tensor/print.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace qkv {
namespace {

constexpr std::int64_t summary_threshold = 1000;  // more elements than this are summarised
constexpr std::int64_t edge_items = 3;            // entries kept at each end of a summarised dim
constexpr std::int64_t line_width = 80;
constexpr std::int64_t gap = -1;  // stands for the "..." in a list of shown indices

// The indices of one dim that are printed, with `gap` where entries are left out.
std::vector<std::int64_t> shown_indices(std::int64_t size, bool summarise) {
    std::vector<std::int64_t> idx;
    if (summarise && size > 2 * edge_items) {
        for (std::int64_t i = 0; i < edge_items; ++i) idx.push_back(i);
        idx.push_back(gap);
        for (std::int64_t i = size - edge_items; i < size; ++i) idx.push_back(i);
    } else {
        for (std::int64_t i = 0; i < size; ++i) idx.push_back(i);
    }
    return idx;
}

std::string format_float(double v, bool scientific) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, scientific ? "%.4e" : "%.4f", v);
    return buf;
}

// Scientific notation when fixed 4 decimals would hide digits (see the rules at the top).
bool needs_scientific(const std::vector<double>& values) {
    double max_abs = 0.0, min_nonzero = INFINITY;
    for (double v : values) {
        if (!std::isfinite(v)) continue;
        max_abs = std::max(max_abs, std::fabs(v));
        if (v != 0.0) min_nonzero = std::min(min_nonzero, std::fabs(v));
    }
    return max_abs >= 1e8 || min_nonzero < 1e-4;
}

// "," then `newlines` line breaks, then spaces up to column `indent` of the next line.
std::string line_break(std::size_t newlines, std::int64_t indent) {
    std::string s = ",";
    s.append(newlines, '\n');
    s.append(static_cast<std::size_t>(indent), ' ');
    return s;
}

class Printer {
public:
    explicit Printer(const Tensor& t) : t_(t) {
        const bool summarise = t.numel() > summary_threshold;
        for (std::int64_t d = 0; d < t.dim(); ++d) shown_.push_back(shown_indices(t.size(d), summarise));
        format_entries();
        for (const auto& e : entries_) width_ = std::max(width_, static_cast<std::int64_t>(e.size()));
    }

    std::string body() {
        if (t_.numel() == 0) return "[]";
        if (t_.dim() == 0) return entries_[0];
        emit(0, static_cast<std::int64_t>(std::strlen("tensor(")));
        return out_;
    }

private:
    // Storage offsets of the shown elements, in row-major order.
    void collect_offsets(std::size_t level, std::int64_t offset, std::vector<std::int64_t>& offsets) const {
        if (level == shown_.size()) {
            offsets.push_back(offset);
            return;
        }
        for (auto i : shown_[level])
            if (i != gap) collect_offsets(level + 1, offset + i * t_.strides()[level], offsets);
    }

    void format_entries() {
        if (t_.numel() == 0) return;
        std::vector<std::int64_t> offsets;
        collect_offsets(0, t_.offset(), offsets);
        dispatch(t_.dtype(), "print", [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* base = reinterpret_cast<const T*>(t_.storage()->bytes());
            if constexpr (std::is_floating_point_v<T>) {
                std::vector<double> values;
                for (auto off : offsets) values.push_back(static_cast<double>(base[off]));
                const bool scientific = needs_scientific(values);
                for (double v : values) entries_.push_back(format_float(v, scientific));
            } else if constexpr (std::is_same_v<T, std::uint8_t>) {
                for (auto off : offsets) entries_.push_back(base[off] ? "True" : "False");
            } else {
                for (auto off : offsets) entries_.push_back(std::to_string(base[off]));
            }
        });
    }

    std::string padded(const std::string& s) const {
        const auto n = static_cast<std::int64_t>(s.size());
        return std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, width_ - n)), ' ') + s;
    }

    // Writes the dims from `level` on, whose "[" sits at `column` of the current line.
    void emit(std::size_t level, std::int64_t column) {
        out_ += '[';
        if (level + 1 == shown_.size()) {
            emit_row(column);
        } else {
            const std::string separator = line_break(shown_.size() - 1 - level, column + 1);
            bool first = true;
            for (auto i : shown_[level]) {
                if (!first) out_ += separator;
                first = false;
                if (i == gap) out_ += "...";
                else emit(level + 1, column + 1);
            }
        }
        out_ += ']';
    }

    // The last dim: entries separated by ", ", as many per line as fit in the line width.
    void emit_row(std::int64_t column) {
        const std::int64_t per_line = std::max<std::int64_t>(1, (line_width - column) / (width_ + 2));
        const std::string wrap = line_break(1, column + 1);
        std::int64_t on_line = 0;
        for (auto i : shown_.back()) {
            if (on_line == per_line) {
                out_ += wrap;
                on_line = 0;
            } else if (on_line > 0) {
                out_ += ", ";
            }
            out_ += padded(i == gap ? "..." : entries_[next_++]);
            ++on_line;
        }
    }

    const Tensor& t_;
    std::vector<std::vector<std::int64_t>> shown_;  // per dim
    std::vector<std::string> entries_;              // the shown elements, formatted
    std::int64_t width_ = 0;
    std::size_t next_ = 0;  // the next entry emit_row writes
    std::string out_;
};

// ---- comparison helpers ---------------------------------------------------------------------

// The shortest text that reads back as the same value in the tensor's own precision, so a
// float32 0.1 shows as 0.1 and not as its double expansion 0.100000001490116.
std::string exact_str(double v, DType dtype) {
    char buf[64];
    const auto res = dtype == DType::Float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                                             : std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

std::string short_str(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// Row-major position -> multi-index, "(1, 2)".
std::string multi_index_str(std::int64_t flat, const Shape& shape) { return shape_str(unravel_index(flat, shape)); }

}  // namespace

std::string to_string(const Tensor& t) {
    if (!t.defined()) return "tensor(undefined)";
    return cat("tensor(", Printer(t).body(), ", shape=", shape_str(t.shape()), ", dtype=", dtype_name(t.dtype()), ")");
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << to_string(t); }

CloseReport allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    a.check_defined("allclose");
    b.check_defined("allclose");
    if (!(rtol >= 0 && atol >= 0)) fail("allclose", "tolerances must be >= 0, got rtol = ", rtol, " and atol = ", atol);
    if (a.shape() != b.shape())
        return {false, cat("shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()), " differ")};
    // Both sides in double, row-major, so element i of one faces element i of the other.
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    std::int64_t worst = -1, failures = 0;
    double worst_excess = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double tol = atol + rtol * std::fabs(y[i]);
        double excess;  // how far outside the tolerance; infinite for a nan or inf mismatch
        if (std::isnan(x[i]) || std::isnan(y[i])) {
            if (equal_nan && std::isnan(x[i]) && std::isnan(y[i])) continue;
            excess = INFINITY;
        } else if (std::isinf(x[i]) || std::isinf(y[i])) {
            if (x[i] == y[i]) continue;
            excess = INFINITY;
        } else {
            excess = std::fabs(x[i] - y[i]) - tol;
            if (excess <= 0) continue;
        }
        ++failures;
        if (worst < 0 || excess > worst_excess) worst = static_cast<std::int64_t>(i), worst_excess = excess;
    }
    if (failures == 0) return {};
    const auto w = static_cast<std::size_t>(worst);
    return {false, cat("mismatch at ", multi_index_str(worst, a.shape()), ": ", exact_str(x[w], a.dtype()), " vs ",
                       exact_str(y[w], b.dtype()), ", |diff| ", short_str(std::fabs(x[w] - y[w])), " > tol ",
                       short_str(atol + rtol * std::fabs(y[w])), " (", failures, " of ", x.size(),
                       " elements differ)")};
}

bool equal(const Tensor& a, const Tensor& b) {
    a.check_defined("equal");
    b.check_defined("equal");
    if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
    bool same = true;
    dispatch(a.dtype(), "equal", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* pa = reinterpret_cast<const T*>(a.storage()->bytes());
        const T* pb = reinterpret_cast<const T*>(b.storage()->bytes());
        // Bytes, not ==: a NaN equals the same NaN, and 0.0 differs from -0.0.
        for_each_offset<2>(a.shape(), {a.strides().data(), b.strides().data()}, {a.offset(), b.offset()},
                           [&](const std::int64_t* off) {
                               if (std::memcmp(pa + off[0], pb + off[1], sizeof(T)) != 0) same = false;
                           });
    });
    return same;
}

}  // namespace qkv
