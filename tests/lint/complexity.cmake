# No function in src/ over 150 lines or cyclomatic complexity 40 (lizard), except those listed
# in complexity_allow.txt, a list that may only shrink. Skipped (77, with a message) where lizard
# cannot be found (./scripts/quickstart test installs it into build/.venv-tools).
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME lint_complexity
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_complexity.py
                   --root ${PROJECT_SOURCE_DIR} --build-dir ${PROJECT_BINARY_DIR}
                   --allow ${CMAKE_CURRENT_SOURCE_DIR}/complexity_allow.txt)
  set_tests_properties(lint_complexity PROPERTIES LABELS "lint" TIMEOUT 300 SKIP_RETURN_CODE 77)
else()
  message(STATUS "visionrt: no Python 3: the lint_complexity test is left out")
endif()
