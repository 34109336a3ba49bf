# Debian packages by CPack from the install tree (cmake/install.cmake):
#   cmake -S . -B build-deb -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)
# gives two packages:
#   visionrt      the vrt command, libvrt.so.0.1, the profiles and the man pages; its Depends
#                 are computed by dpkg-shlibdeps from the binaries (libjpeg62-turbo, libpng16-16,
#                 libav*, ...), so they are what the build really linked
#   libvrt-dev    headers, the libvrt.so link (or libvrt.a), vrt.pc and the CMake package; it
#                 depends on visionrt of the same version and on the -dev packages vrt.pc names
#                 (pkg-config needs their .pc files also for Requires.private)
set(CPACK_PACKAGE_NAME visionrt)
set(CPACK_PACKAGE_VENDOR "visionrt")
set(CPACK_PACKAGE_CONTACT "visionrt maintainers <visionrt@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time computer vision: V4L2 capture, ONNX inference on CPU and CUDA")
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_COMPONENTS_ALL lib bin dev)
set(CPACK_COMPONENT_LIB_GROUP runtime)
set(CPACK_COMPONENT_BIN_GROUP runtime)
set(CPACK_COMPONENT_DEV_GROUP dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/visionrt/visionrt")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME visionrt)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# A shlibs file for packages built against libvrt, and the ldconfig trigger.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "real-time computer vision toolkit (library and vrt command)
 visionrt takes frames from a camera, file or stream to a CNN's result with
 low, predictable latency: V4L2 capture, its own ONNX engine (CPU backend and,
 when built with CUDA, a cuDNN/cuBLASLt backend), pre/post-processing, task
 heads, pipelines and sinks. This package holds libvrt, the vrt command, the
 model profiles under /usr/share/visionrt/models and the man pages.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION science)

set(_dev_depends "visionrt (= ${PROJECT_VERSION}), libjpeg-dev, libpng-dev")
if(VRT_HAVE_FFMPEG)
  string(APPEND _dev_depends ", libavformat-dev, libavcodec-dev, libavutil-dev, libswscale-dev")
endif()
if(VRT_HAVE_OPENBLAS)
  string(APPEND _dev_depends ", libopenblas-dev")
endif()
foreach(dep SDL2 MHD MQTT)
  if(VRT_HAVE_${dep})
    string(APPEND _dev_depends ", ${VRT_OPTIONAL_DEB_${dep}}")
  endif()
endforeach()
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libvrt-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_dev_depends}")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "real-time computer vision toolkit (development files)
 Headers (vrt/*.h), the libvrt link library, pkg-config file vrt.pc and the
 CMake package (find_package(visionrt) -> visionrt::vrt) of visionrt.")
include(CPack)
