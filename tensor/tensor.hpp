// Everything in tensor/, in one include.
#pragma once

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/indexing.hpp"
#include "tensor/matmul.hpp"
#include "tensor/npy.hpp"
#include "tensor/print.hpp"
#include "tensor/random.hpp"
#include "tensor/reduce.hpp"
#include "tensor/safetensors.hpp"
#include "tensor/softmax.hpp"
#include "tensor/thread_pool.hpp"
