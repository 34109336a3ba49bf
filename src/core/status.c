#include "vrt/core.h"

#include <stdarg.h>
#include <stdio.h>

const char *vrt_status_name(int status) {
    switch (status) {
#define X(name, code, msg)                                                                                   \
    case code: return #name;
        VRT_STATUS_MAP(X)
#undef X
    default: return "UNKNOWN";
    }
}

const char *vrt_status_str(int status) {
    switch (status) {
#define X(name, code, msg)                                                                                   \
    case code: return msg;
        VRT_STATUS_MAP(X)
#undef X
    default: return "unknown error";
    }
}

vrt_status vrt_status_from_errno(int err) {
    if (err > 0) err = -err;
    if (err == 0) return VRT_OK;
    if (err == -EWOULDBLOCK) return VRT_EAGAIN;
    switch (err) {
#define X(name, code, msg)                                                                                   \
    case code: return VRT_##name;
        VRT_STATUS_MAP(X)
#undef X
    case -ENXIO: return VRT_ENODEV;
    case -ENOTTY: return VRT_ENOTSUP;
    default: return VRT_EIO;
    }
}

void vrt_errbuf_set(char *buf, size_t cap, const char *fmt, ...) {
    if (!buf || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

#include "vrt_build_info.h"
#ifndef VRT_BUILD_INFO
#define VRT_BUILD_INFO "unknown build"
#endif

const char *vrt_version(void) {
    return VRT_VERSION_STRING;
}
const char *vrt_build_info(void) {
    return VRT_BUILD_INFO;
}
