/* fuzz_util.h - helpers shared by the fuzz targets (header-only). */
#ifndef VRT_FUZZ_UTIL_H
#define VRT_FUZZ_UTIL_H

/* The including file defines _GNU_SOURCE before its first include (memfd_create). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The input as a file the library can open by path (an anonymous memory
 * file, /proc/self/fd/N): for readers that only take paths. Returns the fd
 * (close it after use) and the path in buf; -1 when memfd is unavailable. */
static inline int vrt_fuzz_memfile(const uint8_t *data, size_t size, char *buf, size_t cap) {
    int fd = memfd_create("vrt_fuzz", MFD_CLOEXEC);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(buf, cap, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
