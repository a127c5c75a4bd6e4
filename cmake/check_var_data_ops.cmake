# Vars and Tensors: a Tensor-level op on a Var's value drops the gradient (the ctest
# var_data_ops).
#
# Most functions exist twice, with the same name: softmax(const Tensor&, dim) computes numbers,
# softmax(const Var&, dim) also records the op so backward() reaches its input. x.data() is the
# way from a Var to its value, and since a Tensor beside a Var is taken as a constant,
#     Var y = x + softmax(x.data(), -1);     // compiles; no gradient through the softmax
# gives the right numbers and silently wrong gradients. The rule (README, "Conventions worth
# knowing"): call the Var function on the Var; take .data() only for a value you mean as a
# constant, and say so by storing it in a Tensor, reading a number (.item(), .at(),
# .to_vector()), or marking the line `// constant:` with the reason. (An op written with
# record(), lesson 02's way, computes its forward value from .data(): that is the exception.)
#
# This reads every line of nn/ and lessons/ that applies one of autograd's differentiable
# functions (the names autograd/*.hpp declares for Var) to an argument holding .data(), or uses
# .data() as an operand of + - * /, and names each line that does none of those.
#
#   cmake -DSOURCE_DIR=<repository> -P cmake/check_var_data_ops.cmake
cmake_minimum_required(VERSION 3.25)

# The differentiable functions: every "Var name(" autograd/*.hpp declares.
file(GLOB autograd_headers ${SOURCE_DIR}/autograd/*.hpp)
set(names "")
foreach(header ${autograd_headers})
  file(STRINGS ${header} declarations REGEX "^Var [a-z_0-9]+\\(")
  foreach(line ${declarations})
    string(REGEX MATCH "^Var ([a-z_0-9]+)\\(" _ "${line}")
    list(APPEND names ${CMAKE_MATCH_1})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES names)
# record() builds an op from its value and backward rule: the value is what it takes.
list(REMOVE_ITEM names record)
list(LENGTH names count)
if(count LESS 20)
  message(FATAL_ERROR "var_data_ops: found only ${count} differentiable functions in autograd/*.hpp")
endif()
list(JOIN names "|" alternatives)
# name( ... x.data() ... ): any argument (arguments may hold calls one level deep).
set(call "(^|[^A-Za-z0-9_.:>])(${alternatives})\\(([^;()]|\\([^()]*\\))*\\.data\\(\\)")
# .data() as an operand of + - * /: with a Var on the other side it is taken as a constant.
set(operand "([-+*/][ \t]*[A-Za-z_][A-Za-z0-9_.>-]*(\\([^()]*\\))?\\.data\\(\\)|\\.data\\(\\)[ \t]*[-+*/][^/=])")

set(problems "")
foreach(folder nn lessons)
  file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/${folder}/*.hpp ${SOURCE_DIR}/${folder}/*.cpp)
  list(SORT files)
  foreach(file ${files})
    file(STRINGS ${SOURCE_DIR}/${file} lines)
    set(n 0)
    foreach(line IN LISTS lines)
      math(EXPR n "${n} + 1")
      if(line MATCHES "^[ \t]*//")
        continue()
      endif()
      if(NOT line MATCHES "${call}" AND NOT line MATCHES "${operand}")
        continue()
      endif()
      if(line MATCHES "^[ \t]*(const[ \t]+)?(Tensor|std::vector<Tensor>|double|float|bool)[ \t&]"
         OR line MATCHES "\\.(item|at|to_vector<[a-z0-9_:]+>)\\("
         OR line MATCHES "(^|[^A-Za-z0-9_])record\\("   # an op's forward value, the Tensor record() takes
         OR line MATCHES "// constant:"
         # a std::string's or std::vector's .data(): pointer arithmetic, not a Var's value
         OR line MATCHES "^[ \t]*(const[ \t]+)?[A-Za-z_:]+[ \t]*\\*[ \t]*[A-Za-z_]+[ \t]*="
         OR line MATCHES "\\.size\\(\\)|from_chars")
        continue()
      endif()
      string(STRIP "${line}" shown)
      string(APPEND problems "  ${file}:${n}: ${shown}\n")
    endforeach()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR
    "a Tensor-level op on a Var's .data() records no gradient. Call the Var function on the Var, or, "
    "for a value meant as a constant, store it in a Tensor or mark the line `// constant: why`:\n${problems}")
endif()
message(STATUS "var_data_ops: ${count} differentiable functions, no Tensor-level call on a Var's .data() in nn/ or lessons/")
