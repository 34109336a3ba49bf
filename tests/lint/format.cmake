# Every tracked .c/.h/.cu/.cuh file is clang-format (14) clean with the repository's .clang-format.
# Skipped (77, with a message) where clang-format 14 is not installed.
find_program(VRT_CLANG_FORMAT NAMES clang-format-14 clang-format)
add_test(NAME lint_clang_format
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_format.sh ${PROJECT_SOURCE_DIR} "${VRT_CLANG_FORMAT}")
set_tests_properties(lint_clang_format PROPERTIES LABELS "lint" TIMEOUT 300 SKIP_RETURN_CODE 77)
