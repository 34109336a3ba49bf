# Every #include "..." in src/, include/ and tools/ follows the layer table of scripts/check-layers
# (DESIGN.md's layer order, backends' folders private to them) and no include cycle exists
# between files; known violations wait in layering_allow.txt, a list that may only shrink.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME lint_layering
           COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/check-layers --root ${PROJECT_SOURCE_DIR}
                   --allow ${CMAKE_CURRENT_SOURCE_DIR}/layering_allow.txt)
  set_tests_properties(lint_layering PROPERTIES LABELS "lint" TIMEOUT 60)
else()
  message(STATUS "visionrt: no Python 3: the lint_layering test is left out")
endif()
