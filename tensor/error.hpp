// Errors and message formatting shared by every layer.
//
// Every op checks its inputs and throws qkv::Error with a message that starts with the op's
// name and names the shapes and dtypes involved, e.g.
//   matmul: shapes (2, 3) and (4, 5): inner sizes 3 and 4 differ
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace qkv {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Concatenates anything with an operator<< into one string: cat("a", 1, ' ', 2.5) == "a1 2.5".
template <class... Parts>
std::string cat(Parts&&... parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    return out.str();
}

// Throws Error("op: ...").
template <class... Parts>
[[noreturn]] void fail(const std::string& op, Parts&&... parts) {
    throw Error(op + ": " + cat(std::forward<Parts>(parts)...));
}

}  // namespace qkv
