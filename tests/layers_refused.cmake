# The layer check must fail on a tree that breaks the rule: an adapter that includes a command
# header, and a generator that includes anything of plugin/. Run by ctest (test `layers_refused`).
set(root "${WORK}/layers-fixture")
file(REMOVE_RECURSE "${root}")
file(WRITE "${root}/plugin/adapters/http.hpp" "#pragma once\n#include \"plugin/commands/cli.hpp\"\n")
file(WRITE "${root}/plugin/hook/hook.cpp" "#include \"plugin/gitops/tree_writer.hpp\"\n#include \"plugin/clients/storcon.hpp\"\n")
file(WRITE "${root}/generators/emit.cpp" "#include \"plugin/adapters/files.hpp\"\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -P ${SOURCE}/plugin/layers.cmake
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(rc EQUAL 0)
  message(FATAL_ERROR "the layer check passed a tree that breaks the rule")
endif()
foreach(expected "plugin/adapters/http.hpp: adapters may not include plugin/commands"
                 "plugin/hook/hook.cpp: hook may not include plugin/gitops"
                 "generators/emit.cpp: generators may not include plugin/adapters")
  string(FIND "${err}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "missing \"${expected}\" in:\n${err}")
  endif()
endforeach()
string(FIND "${err}" "plugin/clients/storcon.hpp" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "the hook may include clients, but the check refused it:\n${err}")
endif()
