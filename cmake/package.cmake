# qkv as a package that other CMake projects build against (issue 14):
#
#   cmake --install build/release --prefix PREFIX
#   # in the other project:
#   find_package(qkv REQUIRED)                      # with -DCMAKE_PREFIX_PATH=PREFIX
#   target_link_libraries(app PRIVATE qkv::nn)      # or qkv::autograd, qkv::tensor
#
# Installed: the three layer libraries, every header of tensor/, autograd/ and nn/ under
# PREFIX/include/qkv in the source tree's layout (so #include "nn/linear.hpp" names the same file
# inside qkv and outside), and the CMake files that define the targets. The lessons, tests, tools
# and benchmark are not part of the package.
#
# What a consumer inherits: C++20, the include folder and the threads library, nothing else.
# In particular not -march=native (QKV_NATIVE): that flag decides which instructions qkv's own
# kernels use, which is settled inside the installed library; no public header changes layout
# or behaviour with it, so code that calls qkv may be compiled for any x86-64 (the library itself
# still needs a CPU like the one it was built on; build it with -DQKV_NATIVE=OFF to ship it).
# The same holds for the warnings and the sanitizer flags of qkv_flags.
include(CMakePackageConfigHelpers)

set(qkv_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/qkv)

foreach(layer tensor autograd nn)
  # qkv::nn is the name inside this build too, so a project that adds qkv with
  # add_subdirectory() links the same names as one that uses find_package().
  set_target_properties(qkv_${layer} PROPERTIES EXPORT_NAME ${layer})
  add_library(qkv::${layer} ALIAS qkv_${layer})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${layer}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qkv/${layer}
          FILES_MATCHING PATTERN "*.hpp")
endforeach()

install(TARGETS qkv_tensor qkv_autograd qkv_nn EXPORT qkvTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT qkvTargets NAMESPACE qkv:: DESTINATION ${qkv_cmake_dir})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/qkvConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/qkvConfig.cmake
                              INSTALL_DESTINATION ${qkv_cmake_dir})
# 0.x: a minor version may change the API, so find_package(qkv 0.1) accepts 0.1.* only.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/qkvConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qkvConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/qkvConfigVersion.cmake
        DESTINATION ${qkv_cmake_dir})

# The test (label package): install this build into a fresh prefix, build examples/find_package
# against it the way another project would, and run it (cmake/test_package.cmake). It needs no
# rebuild of qkv, only the example's one file. Not in the sanitizer and fuzz builds: their
# libraries need the sanitizer runtime at link time, which a project of one's own does not link,
# and what the test checks (the install layout and the exported targets) does not depend on the
# build flags, so the release workflow covers it.
if(QKV_BUILD_TESTS AND NOT QKV_SANITIZE AND NOT QKV_FUZZ)
  add_test(NAME package_find_package
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/package_test -DCXX=${CMAKE_CXX_COMPILER}
                   -DGENERATOR=${CMAKE_GENERATOR} -P ${CMAKE_CURRENT_LIST_DIR}/test_package.cmake)
  set_tests_properties(package_find_package PROPERTIES LABELS package TIMEOUT 600)
endif()
