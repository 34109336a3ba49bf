/*
 * vrt/export.h - VRT_API, the mark of a function of the public API.
 *
 * The library is built with -fvisibility=hidden: a shared libvrt exports the
 * functions declared with VRT_API in include/vrt/ and nothing else (no
 * internal vrt__ symbol), so programs and bindings can only depend on the
 * documented API. Every function declared in a public header carries it:
 *
 *   VRT_API vrt_status vrt_thing_open(const vrt_thing_params *p, vrt_thing_t **out);
 *
 * ctest lint_exports names any declaration without it, and abi_exports checks
 * with nm -D that a shared build exports exactly the vrt_* public functions.
 * The same mark serves the library's build and its users (ELF needs no
 * import/export distinction); define VRT_API before including a header to
 * override it.
 */
#ifndef VRT_EXPORT_H
#define VRT_EXPORT_H

#ifndef VRT_API
#if defined(__GNUC__) || defined(__clang__)
#define VRT_API __attribute__((visibility("default")))
#else
#define VRT_API
#endif
#endif

#endif
