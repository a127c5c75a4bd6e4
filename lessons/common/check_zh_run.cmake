# ctest helper: runs a lesson with --quick --lang zh and checks what a Chinese reader gets.
#   cmake -DPROGRAM=path -DNUM=04 -DOUT=dir -P check_zh_run.cmake
# Passes when the program exits 0, its first line is the Chinese header "第 NN 课", and every
# section heading ("== ... ==") is translated (holds a non-ASCII character). Numbers and tables
# are printed the same in both languages and are checked by the lesson's own tests.
execute_process(COMMAND ${PROGRAM} --quick --lang zh --out ${OUT}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --quick --lang zh exited with ${status}:\n${err}")
endif()
string(FIND "${out}" "第 ${NUM} 课" header_at)
if(NOT header_at EQUAL 0)
  message(FATAL_ERROR "--lang zh: the output should start with the header '第 ${NUM} 课', it starts:\n${out}")
endif()
string(REGEX MATCHALL "\n== [^\n]* ==" headings "${out}")
foreach(h ${headings})
  if(h MATCHES "^[\n -~]*$")
    message(FATAL_ERROR "--lang zh: heading not translated:${h}")
  endif()
endforeach()
list(LENGTH headings n)
message(STATUS "--lang zh: the header and ${n} headings are in Chinese")
