# Precompiled standard headers, for a faster first build (issue 18).
#
# Most of the time GCC spends reading a qkv source goes to the standard library's headers
# (<filesystem>, <iostream>, <functional>, ...) that nearly every file includes, and in a test,
# to doctest's. Parsed once into a precompiled header and loaded by every file, they cost about
# 0.7 to 1 s less per file (measured on tests/nn/test_bert.cpp, nn/bert/pretraining.cpp,
# lessons/06_transformer/main.cpp and tests/lessons/06/test_lesson06.cpp on the 2-core
# machine), a quarter of a clean build's compile time.
#
# Only standard headers and doctest are precompiled, never qkv's own: a precompiled header is
# included in front of every file, and one holding autograd/ would let a tensor/ file use
# autograd without including it, hiding a break of the layer rule. A file that forgets a
# standard include still compiles here; the sanitizer build (Clang, no precompiled headers, no
# unity batches, run by .ci/run) does not, so such a slip is caught. The benchmark, which the
# sanitizer build skips, gets no precompiled header for that reason.
#
# GCC only (the release and debug presets): GCC ignores a precompiled header built with other
# code-generation flags and says so, where Clang refuses to compile. Configure with
# -DQKV_PRECOMPILED_HEADERS=OFF to compile every file from its own includes.
option(QKV_PRECOMPILED_HEADERS "Precompile the standard library and doctest headers (GCC)" ON)

set(qkv_standard_headers
  <algorithm> <array> <atomic> <charconv> <chrono> <cmath> <cstddef> <cstdint> <cstdio> <cstdlib>
  <cstring> <filesystem> <fstream> <functional> <initializer_list> <iostream> <iterator> <limits>
  <map> <memory> <numeric> <optional> <set> <sstream> <string> <string_view> <unordered_map>
  <utility> <vector>)

# Gives every compiled target below `dir` one of two precompiled headers: the standard headers,
# or for targets that link doctest, the standard headers and doctest. Each is compiled once, by a
# holder target, and reused by the others (REUSE_FROM), so that sixty targets do not each compile
# their own.
function(qkv_precompile_headers dir)
  if(NOT QKV_PRECOMPILED_HEADERS OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  # With the string headers loaded from a precompiled header, GCC 12 reports -Wstringop-overflow
  # and -Warray-bounds inside libstdc++'s own std::string code for `"text" + s` (seen in
  # tests/nn/test_hostile_files.cpp and lessons/02_autograd/main.cpp; without the precompiled
  # header the same code is quiet). A student's first build should show no warning that is not
  # about qkv's code, so GCC 12 builds with precompiled headers do without these two checks on
  # qkv's code too; the asan build's AddressSanitizer catches at run time the out-of-bounds
  # accesses they look for, and -DQKV_PRECOMPILED_HEADERS=OFF brings them back.
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(qkv_flags INTERFACE -Wno-stringop-overflow -Wno-array-bounds)
  endif()
  add_library(qkv_pch_standard OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch_holder.cpp)
  target_link_libraries(qkv_pch_standard PRIVATE qkv_flags)
  target_precompile_headers(qkv_pch_standard PRIVATE ${qkv_standard_headers})
  # tests/ found doctest for its own directory; the holder of the tests' header is made here.
  if(QKV_BUILD_TESTS)
    find_package(doctest QUIET)
  endif()
  if(TARGET doctest::doctest)
    add_library(qkv_pch_tests OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch_holder.cpp)
    target_link_libraries(qkv_pch_tests PRIVATE qkv_flags doctest::doctest)
    target_precompile_headers(qkv_pch_tests PRIVATE ${qkv_standard_headers} <doctest/doctest.h>)
  endif()

  set(dirs ${dir})
  set(targets)
  while(dirs)
    list(POP_FRONT dirs d)
    get_property(here DIRECTORY ${d} PROPERTY BUILDSYSTEM_TARGETS)
    get_property(below DIRECTORY ${d} PROPERTY SUBDIRECTORIES)
    list(APPEND targets ${here})
    list(APPEND dirs ${below})
  endwhile()
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    get_target_property(imported ${t} IMPORTED)
    # qkv_test_main defines DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN before it includes doctest, which
    # a header included in front of it would defeat.
    if(imported OR t MATCHES "^qkv_pch_" OR t STREQUAL "qkv_test_main" OR t STREQUAL "qkv-bench"
       OR NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(TARGET qkv_pch_tests AND "doctest::doctest" IN_LIST libs)
      target_precompile_headers(${t} REUSE_FROM qkv_pch_tests)
    else()
      target_precompile_headers(${t} REUSE_FROM qkv_pch_standard)
    endif()
  endforeach()
endfunction()
