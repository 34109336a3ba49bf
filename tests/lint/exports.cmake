# Every function declared in include/vrt/ carries VRT_API (vrt/export.h), checked on the headers as
# the compiler sees them (scripts/check-exports); the failure names the function and its header line.
# abi_exports: the shared libvrt (target vrt_shared) exports exactly those functions (nm -D).
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
  add_test(NAME lint_exports COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/check-exports
                                     --root ${PROJECT_SOURCE_DIR} --cc ${CMAKE_C_COMPILER})
  set_tests_properties(lint_exports PROPERTIES LABELS "lint" TIMEOUT 60)
  if(TARGET vrt_shared)
    set(_optional "")
    if(NOT VRT_HAVE_CUDA)
      set(_optional --optional vision_cuda.h)
    endif()
    add_test(NAME abi_exports COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/check-exports
                                      --root ${PROJECT_SOURCE_DIR} --cc ${CMAKE_C_COMPILER}
                                      --lib $<TARGET_FILE:vrt_shared> --nm ${CMAKE_NM} ${_optional})
    set_tests_properties(abi_exports PROPERTIES LABELS "install" TIMEOUT 60)
  endif()
else()
  message(STATUS "visionrt: no Python 3 or not GCC (gcc -aux-info): lint_exports and abi_exports are left out")
endif()
