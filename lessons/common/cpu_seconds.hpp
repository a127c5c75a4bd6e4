// The CPU seconds a piece of work takes, over all threads, for the lessons that time things.
// On a machine shared with other work, wall time measures the others too; CPU time is what this
// program spent.
#pragma once

#include <ctime>

namespace qkv::lesson {

template <class F> double cpu_seconds(F&& f) {
    const std::clock_t start = std::clock();
    f();
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

}  // namespace qkv::lesson
