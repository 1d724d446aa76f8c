# The sanitizer reports of the processes the node tests start (see tests/CMakeLists.txt).
#   cmake -DREPORTS_DIR=<dir> -DMODE=clear -P reports.cmake   before the node tests: empty <dir>
#   cmake -DREPORTS_DIR=<dir> -DMODE=check -P reports.cmake   after them: fail on any report, print it
if(MODE STREQUAL "clear")
  file(REMOVE_RECURSE "${REPORTS_DIR}")
  file(MAKE_DIRECTORY "${REPORTS_DIR}")
elseif(MODE STREQUAL "check")
  file(GLOB reports "${REPORTS_DIR}/*")
  if(reports)
    # Verbatim (message() would reflow the stacks).
    execute_process(COMMAND ${CMAKE_COMMAND} -E cat ${reports})
    list(LENGTH reports count)
    message(FATAL_ERROR "${count} sanitizer report(s) above, from processes the node tests "
                        "started: ${reports}")
  endif()
  message(STATUS "no sanitizer reports in ${REPORTS_DIR}")
else()
  message(FATAL_ERROR "MODE must be clear or check")
endif()
