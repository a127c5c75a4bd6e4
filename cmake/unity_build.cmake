# Unity builds, for a faster first build (issue 18).
#
# A qkv source costs GCC a fixed part before its own code: the precompiled standard headers
# loaded, qkv's headers parsed (about 0.6 s for nn/nn.hpp and doctest), and the inline functions
# and templates they use compiled again in every file (Tensor's accessors, the map.hpp loops,
# doctest's assertion templates). A clean build paid it about 280 times. A unity build compiles
# the sources of a target in batches, each batch one translation unit that #includes up to
# `QKV_UNITY_BATCH` of them, so the fixed part is paid once a batch.
#
# What it asks of the code: names in a source's anonymous namespace share one namespace with the
# other files of its batch. Two sources of one target defining the same helper fail to compile,
# which is how a copied helper shows up; the fix is to share it from a header, not to rename it.
#
# Not for lesson code: a lesson's files are what students read and edit one at a time, and an
# exercise's stub must compile alone. Not for the sanitizer and fuzz builds either: compiling
# each file alone there is what catches a file that forgets an include (an earlier file of its
# batch would otherwise have included it), as cmake/precompiled_headers.cmake relies on, and it
# keeps one CI build where no name leaks from one source into the next. Configure with
# -DQKV_UNITY_BUILD=OFF to compile every source alone, as an IDE or a one-file edit-compile loop
# prefers: the release tests' recorded hashes of lesson and kernel outputs pass either way.
option(QKV_UNITY_BUILD "Compile each library and test program's sources in batches" ON)
set(QKV_UNITY_BATCH 8 CACHE STRING "Sources per unity translation unit")

function(qkv_unity_build dir)
  if(NOT QKV_UNITY_BUILD OR QKV_SANITIZE OR QKV_FUZZ)
    return()
  endif()
  set(dirs ${dir})
  while(dirs)
    list(POP_FRONT dirs d)
    get_property(here DIRECTORY ${d} PROPERTY BUILDSYSTEM_TARGETS)
    get_property(below DIRECTORY ${d} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${below})
    foreach(t ${here})
      get_target_property(type ${t} TYPE)
      if(t MATCHES "^(lesson|exercises)[0-9]+(_lib)?$"
         OR NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$")
        continue()
      endif()
      set_target_properties(${t} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${QKV_UNITY_BATCH})
    endforeach()
  endwhile()
  # Sources that take over 10 s alone (each instantiates map.hpp's loops for many ops, or
  # compiles the kernels once per instruction set) stay out of the batches: in one they would
  # make a batch of 30 s or more that the rest of the build waits for (lesson 01's build waits
  # for all of qkv_tensor), where alone they compile beside the others.
  set_source_files_properties(${PROJECT_SOURCE_DIR}/tensor/elementwise.cpp ${PROJECT_SOURCE_DIR}/tensor/compare.cpp
                              TARGET_DIRECTORY qkv_tensor PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  if(TARGET test_tensor)
    set_source_files_properties(${PROJECT_SOURCE_DIR}/tests/tensor/test_width_independence.cpp
                                TARGET_DIRECTORY test_tensor PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
endfunction()
