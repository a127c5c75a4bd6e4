# The layer rule, read from the sources (the ctest layer_includes):
#
#   tensor  <-  autograd  <-  nn  <-  lessons
#
# A file of a layer includes headers of its own layer and of the layers below it, never of one
# above, nor of lessons/, tests/, tools/, bench/ or examples/. Every library has the repository
# root on its include path, so the compiler alone would accept "nn/linear.hpp" in a tensor/ file;
# the link catches it only when the file calls into nn/. This reads every #include line of
# tensor/, autograd/ and nn/ and names each wrong-way one by file and line.
#
# It also checks that the umbrella headers autograd/autograd.hpp and nn/nn.hpp include every
# header of their layer, so "one include gives the layer" stays true as headers are added.
# (tensor/tensor.hpp is a chosen subset: the kernels' headers, gemm_kernel.hpp and the like,
# are internal.)
#
#   cmake -DSOURCE_DIR=<repository> -P cmake/check_layer_includes.cmake
cmake_minimum_required(VERSION 3.25)

set(below_tensor tensor)
set(below_autograd tensor autograd)
set(below_nn tensor autograd nn)
set(qkv_folders tensor autograd nn lessons tests tools bench examples)

set(problems "")

# Line number (1-based) of the first line of `text` equal to `line`.
function(line_number text line out)
  string(FIND "${text}" "${line}" at)
  string(SUBSTRING "${text}" 0 ${at} before)
  string(REGEX MATCHALL "\n" newlines "${before}")
  list(LENGTH newlines n)
  math(EXPR n "${n} + 1")
  set(${out} ${n} PARENT_SCOPE)
endfunction()

foreach(layer tensor autograd nn)
  file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/${layer}/*.hpp ${SOURCE_DIR}/${layer}/*.cpp)
  list(SORT files)
  foreach(file ${files})
    # A relative path ("../nn/linear.hpp") would dodge the check below: every qkv include names
    # its file from the repository root.
    file(STRINGS ${SOURCE_DIR}/${file} relative REGEX "^[ \t]*#[ \t]*include[ \t]*\"\\.")
    foreach(line ${relative})
      file(READ ${SOURCE_DIR}/${file} text)
      line_number("${text}" "${line}" n)
      string(STRIP "${line}" shown)
      string(APPEND problems "  ${file}:${n}: ${shown}: name qkv headers from the repository root\n")
    endforeach()
    file(STRINGS ${SOURCE_DIR}/${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][A-Za-z_]+/")
    foreach(line ${includes})
      string(REGEX MATCH "include[ \t]*[\"<]([A-Za-z_]+)/" _ "${line}")
      set(folder ${CMAKE_MATCH_1})
      if(folder IN_LIST qkv_folders AND NOT folder IN_LIST below_${layer})
        file(READ ${SOURCE_DIR}/${file} text)
        line_number("${text}" "${line}" n)
        string(STRIP "${line}" shown)
        list(JOIN below_${layer} "/, " allowed)
        string(APPEND problems "  ${file}:${n}: ${shown}: ${layer}/ may include only ${allowed}/\n")
      endif()
    endforeach()
  endforeach()
endforeach()

foreach(umbrella autograd/autograd.hpp nn/nn.hpp)
  get_filename_component(layer ${umbrella} DIRECTORY)
  file(READ ${SOURCE_DIR}/${umbrella} text)
  file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/${layer}/*.hpp)
  list(REMOVE_ITEM headers ${umbrella})
  list(SORT headers)
  foreach(header ${headers})
    string(FIND "${text}" "#include \"${header}\"" at)
    if(at EQUAL -1)
      string(APPEND problems "  ${umbrella}: does not include ${header}: add #include \"${header}\"\n")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "layer rule (tensor <- autograd <- nn <- lessons) broken:\n${problems}")
endif()
message(STATUS "layer rule kept: tensor/, autograd/ and nn/ include only their own layer and the ones below")
