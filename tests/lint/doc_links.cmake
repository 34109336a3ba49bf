# Every relative link in the tracked Markdown files (README.md, docs/, bench/, component READMEs)
# points at a file that exists and, with '#anchor', at a heading that exists.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME lint_doc_links COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_doc_links.py
                                       ${PROJECT_SOURCE_DIR})
  set_tests_properties(lint_doc_links PROPERTIES LABELS "lint" TIMEOUT 60)
endif()
