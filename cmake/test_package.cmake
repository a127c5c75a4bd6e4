# The ctest package_find_package (cmake/package.cmake): qkv as another project sees it.
#   1. cmake --install BUILD_DIR into WORK_DIR/prefix (copies; builds nothing)
#   2. configure and build SOURCE_DIR/examples/find_package against that prefix, with
#      find_package(qkv) and CMAKE_PREFIX_PATH, as its README describes
#   3. run the program: the MLP's loss must fall and no attention weight may land on padding.
# It also checks that README.md and README.zh-CN.md show the example's main.cpp as it is.
# Each step that fails stops the test with its own output.

cmake_minimum_required(VERSION 3.25)

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package test: ${step} failed (${rc}):\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
# The example is compiled with no build type (no -O flags) and none of qkv's own flags: only
# what the package passes on. That is also the fastest way to compile it.
run("configuring examples/find_package against the installed package"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/find_package -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
run("building examples/find_package" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run("running the example" ${WORK_DIR}/build/app)
message("${output}")

string(REGEX MATCH "step +1 +loss ([0-9.]+)" first "${output}")
set(first_loss ${CMAKE_MATCH_1})
string(REGEX MATCH "step +100 +loss ([0-9.]+)" last "${output}")
set(last_loss ${CMAKE_MATCH_1})
if(NOT first OR NOT last OR NOT last_loss LESS first_loss)
  message(FATAL_ERROR "package test: the example's loss should fall from step 1 to step 100")
endif()
if(NOT output MATCHES "weight 0 on key 3 \\(padding\\)")
  message(FATAL_ERROR "package test: the example's attention put weight on padding keys")
endif()

file(READ ${SOURCE_DIR}/examples/find_package/main.cpp example)
foreach(readme_file README.md README.zh-CN.md)
  file(READ ${SOURCE_DIR}/${readme_file} readme)
  string(FIND "${readme}" "${example}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "package test: ${readme_file}'s section on using qkv in a project of your own should "
                        "show examples/find_package/main.cpp as it is: copy the file over the block")
  endif()
endforeach()
