// What an unsolved exercise throws.
//
// Every exercise function in lessons/NN_name/exercises/ has its solution between
//   // SOLUTION BEGIN 03.2        and        // SOLUTION END 03.2
// lines. The student edition (tools/student_edition.cpp) replaces that region with
//   throw qkv::NotImplemented("03.2", "lessons/03_dot_product_attention/EXERCISES.md#032-...");
// so the stubbed function still compiles, the lessons still build, and a checker or a lesson run
// with --mine can say which exercise to do first instead of failing somewhere deep inside.
// Include this header in every exercise source, solved or not.
#pragma once

#include <string>
#include <utility>

#include "tensor/error.hpp"

namespace qkv {

class NotImplemented : public Error {
public:
    // id: "03.2"; where: the EXERCISES.md section that explains it, as a path from the repository root.
    NotImplemented(std::string id, std::string where)
        : Error("exercise " + id + " is not done yet: see " + where), id_(std::move(id)), where_(std::move(where)) {}

    const std::string& id() const { return id_; }
    const std::string& where() const { return where_; }

private:
    std::string id_;
    std::string where_;
};

}  // namespace qkv
