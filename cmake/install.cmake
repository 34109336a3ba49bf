# Installation: cmake --install BUILD [--prefix P] puts, under the GNUInstallDirs folders,
#   include/vrt/*.h                          the public headers
#   lib/libvrt.so.0.1, lib/libvrt.a          the library (the .so exports only VRT_API functions)
#   lib/pkgconfig/vrt.pc                     pkg-config --cflags --libs vrt
#   lib/cmake/visionrt/                      find_package(visionrt) -> visionrt::vrt
#   bin/vrt                                  the command
#   share/visionrt/models/                   the model profiles (*.conf) and their label files
#   share/man/man1/vrt*.1                    a page per command, from its --help (scripts/gen-man)
# and cpack -G DEB makes a Debian package of the same tree (cmake/deb.cmake).
include(CMakePackageConfigHelpers)

# Both libraries are installed, as Debian's -dev packages do: libvrt.so.0.1 (soname, the
# runtime) and libvrt.a. find_package(visionrt) exports visionrt::vrt_shared and
# visionrt::vrt_static, and visionrt::vrt is the shared one when this tree was configured with
# BUILD_SHARED_LIBS=ON, else the static one (a consumer may set visionrt_USE_STATIC first).
set_target_properties(vrt_shared PROPERTIES EXPORT_NAME vrt_shared)
set_target_properties(vrt PROPERTIES EXPORT_NAME vrt_static)
set(VRT_PROFILES_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/visionrt/models)
set(VRT_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/visionrt)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vrt DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(TARGETS vrt_shared vrt EXPORT visionrtTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vrt_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION ${VRT_PROFILES_INSTALL_DIR} COMPONENT bin
        FILES_MATCHING PATTERN "*.conf" PATTERN "*.txt" PATTERN "downloads" EXCLUDE)

# ---- pkg-config ----
set(_pc_requires "libjpeg libpng")
if(VRT_HAVE_FFMPEG)
  string(APPEND _pc_requires " libavformat libavcodec libavutil libswscale")
endif()
if(VRT_HAVE_OPENBLAS)
  string(APPEND _pc_requires " openblas")
endif()
# The optional sinks' libraries (CMakeLists.txt vrt_optional_dep): pkg-config module and -dev package.
set(VRT_OPTIONAL_PC_SDL2 sdl2)
set(VRT_OPTIONAL_PC_MHD libmicrohttpd)
set(VRT_OPTIONAL_PC_MQTT libmosquitto)
set(VRT_OPTIONAL_DEB_SDL2 libsdl2-dev)
set(VRT_OPTIONAL_DEB_MHD libmicrohttpd-dev)
set(VRT_OPTIONAL_DEB_MQTT libmosquitto-dev)
set(VRT_CONFIG_OPTIONAL "")
foreach(dep SDL2 MHD MQTT)
  if(VRT_HAVE_${dep})
    string(APPEND _pc_requires " ${VRT_OPTIONAL_PC_${dep}}")
    string(APPEND VRT_CONFIG_OPTIONAL "${dep} ${VRT_OPTIONAL_PC_${dep}};")
  endif()
endforeach()
set(_pc_libs "-pthread -ldl -lm")
if(VRT_HAVE_CUDA)
  # The static archive refers to the CUDA backend only weakly: ask the linker to pull it in.
  string(APPEND _pc_libs " -L${CUDAToolkit_LIBRARY_DIR} -lcudart -lcublasLt ${CUDNN_LIB} -lstdc++")
  string(APPEND _pc_libs " -Wl,--undefined=vrt__backend_cuda")
endif()
# pkg-config --libs vrt links the shared library; pkg-config --static --libs vrt adds what the
# static one needs (a program linking libvrt.a with -Wl,-Bstatic -lvrt -Wl,-Bdynamic).
set(VRT_PC_REQUIRES_PRIVATE "${_pc_requires}")
set(VRT_PC_LIBS_PRIVATE "${_pc_libs}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(VRT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(VRT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(VRT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(VRT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The prefix is written at install time, so that cmake --install --prefix P gives a vrt.pc for P.
set(VRT_PC_PREFIX "@VRT_PC_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/vrt.pc.in ${PROJECT_BINARY_DIR}/vrt.pc.in @ONLY)
install(CODE "
  set(VRT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/vrt.pc.in\" \"${PROJECT_BINARY_DIR}/vrt.pc\" @ONLY)"
        COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/vrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# ---- find_package(visionrt) ----
install(EXPORT visionrtTargets NAMESPACE visionrt:: DESTINATION ${VRT_CMAKE_INSTALL_DIR} COMPONENT dev)
set(VRT_CONFIG_SHARED ${BUILD_SHARED_LIBS})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/visionrtConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/visionrtConfig.cmake INSTALL_DESTINATION ${VRT_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/visionrtConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/visionrtConfig.cmake ${PROJECT_BINARY_DIR}/visionrtConfigVersion.cmake
        DESTINATION ${VRT_CMAKE_INSTALL_DIR} COMPONENT dev)

# ---- man pages, written from the binary's --help at build time ----
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND AND NOT CMAKE_CROSSCOMPILING)
  file(GLOB _cli_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/vrt/*.c)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/vrt.1
                     COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/gen-man --vrt $<TARGET_FILE:vrt_cli>
                             --out ${PROJECT_BINARY_DIR}/man --version ${PROJECT_VERSION}
                     DEPENDS vrt_cli ${PROJECT_SOURCE_DIR}/scripts/gen-man VERBATIM)
  add_custom_target(vrt_man ALL DEPENDS ${PROJECT_BINARY_DIR}/man/vrt.1)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT bin
          FILES_MATCHING PATTERN "*.1")
else()
  message(STATUS "visionrt: no Python 3: the man pages (scripts/gen-man) are not built")
endif()

include(${PROJECT_SOURCE_DIR}/cmake/deb.cmake)
