# Lint checks run by ctest (label lint): `format` (every tracked C++ file is as .clang-format
# writes it) and `tidy` (.clang-tidy's checks on every source of plugin/ and generators/, with the
# build's compile_commands.json). A missing tool fails under CI (CI set) and is skipped elsewhere.
# cmake -DCHECK=format|tidy -DSOURCE=<tree> -DBUILD=<build dir> -P tests/lint.cmake
if(CHECK STREQUAL "format")
  set(tool clang-format)
else()
  set(tool run-clang-tidy)
endif()
find_program(TOOL NAMES ${tool})
if(NOT TOOL)
  if(DEFINED ENV{CI} AND NOT "$ENV{CI}" STREQUAL "")
    message(FATAL_ERROR "${tool} is not on PATH (install clang-format and clang-tidy: .ci/install-deps)")
  endif()
  message("SKIPPED: ${tool} is not on PATH")
  return()
endif()
execute_process(COMMAND git ls-files "*.cpp" "*.hpp" WORKING_DIRECTORY ${SOURCE}
                OUTPUT_VARIABLE files RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "git ls-files failed in ${SOURCE}")
endif()
string(REPLACE "\n" ";" files "${files}")
if(CHECK STREQUAL "format")
  execute_process(COMMAND ${TOOL} --dry-run --Werror ${files} WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${out}\nnot formatted as .clang-format says: run clang-format -i on the files above")
  endif()
else()
  # libgit2's *_INIT macros leave fields to zero, which clang's -Wextra reports.
  execute_process(COMMAND ${TOOL} -p ${BUILD} -quiet -extra-arg=-Wno-missing-field-initializers
                          "${SOURCE}/(plugin|generators)/.*\\.cpp$"
                  WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    # Only the findings, without run-clang-tidy's command lines and "N warnings generated" counts,
    # so that a shortened log still shows them.
    string(ASCII 27 esc)
    string(REGEX REPLACE "${esc}\\[[0-9;]*m" "" all "${out}\n${err}")
    string(REPLACE ";" "," all "${all}")
    string(REGEX MATCHALL "[^\n]*(error|warning): [^\n]*" found "${all}")
    list(FILTER found EXCLUDE REGEX "warnings? generated")
    list(JOIN found "\n" found)
    if(found STREQUAL "")
      set(found "${all}")
    endif()
    message(FATAL_ERROR "${found}\nclang-tidy found problems (.clang-tidy)")
  endif()
endif()
