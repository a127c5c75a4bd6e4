// Everything in autograd/, in one include (and tensor/ beneath it).
#pragma once

#include "autograd/cross_entropy.hpp"
#include "autograd/dropout.hpp"
#include "autograd/elementwise.hpp"
#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/indexing.hpp"
#include "autograd/layer_norm.hpp"
#include "autograd/matmul.hpp"
#include "autograd/reduce.hpp"
#include "autograd/softmax.hpp"
#include "autograd/var.hpp"
