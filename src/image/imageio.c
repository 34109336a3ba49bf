/* Frames with their own memory, and image files: load (JPEG/PNG by content),
 * save (by extension). */
#include "vrt/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* One allocation: the frame descriptor, then the pixels 64-byte aligned. */
#define HDR_SIZE ((sizeof(vrt_frame) + 63) & ~(size_t)63)

static void release_own(void *ctx, vrt_frame *f) {
    (void)ctx;
    vrt_free(f);
}

static vrt_frame *alloc_raw(size_t bytes) {
    vrt_frame *f = vrt_malloc(HDR_SIZE + bytes + 64);
    if (!f) return NULL;
    memset(f, 0, sizeof(*f));
    f->pts_ns = -1;
    f->buffer_index = -1;
    f->memory = VRT_MEM_HOST;
    f->release = release_own;
    f->refs = 1;
    return f;
}

static uint8_t *pixels_of(vrt_frame *f) {
    uintptr_t p = (uintptr_t)f + HDR_SIZE;
    p = (p + 63) & ~(uintptr_t)63;
    return (uint8_t *)p;
}

vrt_status vrt_image_alloc(uint32_t fourcc, uint32_t width, uint32_t height, vrt_frame **out) {
    *out = NULL;
    size_t n = vrt_frame_size_for(fourcc, width, height);
    if (!n) return VRT_EINVAL;
    vrt_frame *f = alloc_raw(n);
    if (!f) return VRT_ENOMEM;
    vrt_frame_layout(f, fourcc, width, height, pixels_of(f));
    *out = f;
    return VRT_OK;
}

vrt_status vrt_image_alloc_jpeg(const uint8_t *data, size_t size, vrt_frame **out, char *err, size_t cap) {
    *out = NULL;
    uint32_t w, h;
    vrt_status st = vrt_jpeg_info(data, size, &w, &h, err, cap);
    if (st) return st;
    if (size > UINT32_MAX) {
        vrt_errbuf_set(err, cap, "JPEG of %zu bytes is too large", size);
        return VRT_ERANGE;
    }
    vrt_frame *f = alloc_raw(size);
    if (!f) {
        vrt_errbuf_set(err, cap, "out of memory for %zu bytes of JPEG", size);
        return VRT_ENOMEM;
    }
    f->fourcc = VRT_FMT_MJPEG;
    f->width = w;
    f->height = h;
    f->num_planes = 1;
    f->planes[0].data = pixels_of(f);
    f->planes[0].size = (uint32_t)size;
    memcpy(f->planes[0].data, data, size);
    f->bytesused = size;
    *out = f;
    return VRT_OK;
}

vrt_status vrt_image_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size, char *err,
                               size_t cap) {
    *data = NULL;
    *size = 0;
    if (!max_size) max_size = (size_t)1 << 30;
    /* A very long path is named by its end, so that the reason still fits. */
    char pb[200];
    size_t plen = strlen(path);
    if (plen >= 200) snprintf(pb, sizeof(pb), "...%s", path + plen - 160);
    const char *real_path = path;
    path = plen >= 200 ? pb : path; /* as messages name it */
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
    int fd = open(real_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    FILE *fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!fp) {
        int e = errno;
        if (fd >= 0) close(fd);
        vrt_errbuf_set(err, cap, "%s: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR ? VRT_ENOENT : vrt_status_from_errno(e);
    }
    struct stat sb;
    memset(&sb, 0, sizeof(sb));
    if (fstat(fileno(fp), &sb) || !S_ISREG(sb.st_mode)) {
        fclose(fp);
        vrt_errbuf_set(err, cap, "%s: not a regular file%s", path,
                       S_ISDIR(sb.st_mode)    ? " (a folder)"
                       : S_ISFIFO(sb.st_mode) ? " (a FIFO)"
                                              : "");
        return VRT_EINVAL;
    }
    if ((uint64_t)sb.st_size > max_size) {
        fclose(fp);
        vrt_errbuf_set(err, cap, "%s: %lld bytes, more than the %zu allowed", path, (long long)sb.st_size,
                       max_size);
        return VRT_ENOMEM;
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = vrt_malloc(n ? n : 1);
    if (!buf) {
        fclose(fp);
        vrt_errbuf_set(err, cap, "%s: out of memory for %zu bytes", path, n);
        return VRT_ENOMEM;
    }
    if (fread(buf, 1, n, fp) != n) {
        fclose(fp);
        vrt_free(buf);
        vrt_errbuf_set(err, cap, "%s: read error", path);
        return VRT_EIO;
    }
    fclose(fp);
    *data = buf;
    *size = n;
    return VRT_OK;
}

static int is_jpeg(const uint8_t *d, size_t n) {
    return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}
static int is_png(const uint8_t *d, size_t n) {
    return n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8);
}

/* Prefixes the decoder's message in err with the path. */
static void name_it(const char *path, char *err, size_t cap) {
    if (!err || !cap) return;
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", err);
    vrt_errbuf_set(err, cap, "%s: %s", path, tmp);
}

vrt_status vrt_image_probe(const char *path, uint32_t *width, uint32_t *height, char *err, size_t cap) {
    uint8_t *d = NULL;
    size_t n = 0;
    vrt_status st = vrt_image_read_file(path, 0, &d, &n, err, cap);
    if (st) return st;
    if (is_jpeg(d, n))
        st = vrt_jpeg_info(d, n, width, height, err, cap);
    else if (is_png(d, n))
        st = vrt_png_info(d, n, width, height, err, cap);
    else {
        vrt_errbuf_set(err, cap, "not a JPEG or PNG image");
        st = VRT_EBADDATA;
    }
    vrt_free(d);
    if (st) name_it(path, err, cap);
    return st;
}

vrt_status vrt_image_load(const char *path, uint32_t fourcc, vrt_frame **out, char *err, size_t cap) {
    *out = NULL;
    if (!fourcc) fourcc = VRT_FMT_RGB24;
    char nb[8];
    if (!vrt_fourcc_is_raw(fourcc) && fourcc != VRT_FMT_MJPEG) {
        vrt_errbuf_set(err, cap,
                       "%s: cannot load as %s; use RGB24, BGR24, GREY, YUYV, UYVY, NV12 "
                       "or MJPEG",
                       path, vrt_fourcc_name(fourcc, nb));
        return VRT_EINVAL;
    }
    uint8_t *d = NULL;
    size_t n = 0;
    vrt_status st = vrt_image_read_file(path, 0, &d, &n, err, cap);
    if (st) return st;
    if (is_jpeg(d, n)) {
        if (fourcc == VRT_FMT_MJPEG)
            st = vrt_image_alloc_jpeg(d, n, out, err, cap);
        else
            st = vrt_jpeg_decode(d, n, fourcc, out, err, cap);
    } else if (is_png(d, n)) {
        if (fourcc == VRT_FMT_MJPEG) {
            vrt_frame *rgb = NULL;
            st = vrt_png_decode(d, n, VRT_FMT_RGB24, &rgb, err, cap);
            if (!st) {
                uint8_t *j = NULL;
                size_t jn = 0;
                st = vrt_jpeg_encode(rgb, 90, &j, &jn, err, cap);
                vrt_frame_unref(&rgb);
                if (!st) st = vrt_image_alloc_jpeg(j, jn, out, err, cap);
                vrt_free(j);
            }
        } else {
            st = vrt_png_decode(d, n, fourcc, out, err, cap);
        }
    } else {
        vrt_errbuf_set(err, cap, "not a JPEG or PNG image (%zu bytes; unknown signature)", n);
        st = VRT_EBADDATA;
    }
    vrt_free(d);
    if (st) name_it(path, err, cap);
    return st;
}

static vrt_status write_file(const char *path, const void *a, size_t na, const void *b, size_t nb, char *err,
                             size_t cap) {
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        int e = errno;
        vrt_errbuf_set(err, cap, "%s: cannot create: %s", path, strerror(e));
        return vrt_status_from_errno(e);
    }
    int ok = (!na || fwrite(a, 1, na, fp) == na) && (!nb || fwrite(b, 1, nb, fp) == nb);
    ok = (fclose(fp) == 0) && ok;
    if (!ok) {
        vrt_errbuf_set(err, cap, "%s: write error (disk full?)", path);
        return VRT_EIO;
    }
    return VRT_OK;
}

/* *use = f when it already has fourcc, else a converted copy that *owned
 * holds (unref it when done). */
static vrt_status as_format(const vrt_frame *f, uint32_t fourcc, const vrt_frame **use, vrt_frame **owned,
                            char *err, size_t cap) {
    *owned = NULL;
    *use = f;
    if (f->fourcc == fourcc) return VRT_OK;
    vrt_status st = vrt_image_alloc(fourcc, f->width, f->height, owned);
    if (st) {
        vrt_errbuf_set(err, cap, "out of memory");
        return st;
    }
    if ((st = vrt_image_convert(f, *owned, err, cap))) {
        vrt_frame_unref(owned);
        return st;
    }
    *use = *owned;
    return VRT_OK;
}

vrt_status vrt_image_save(const vrt_frame *f, const char *path, int jpeg_quality, char *err, size_t cap) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) dot = "";
    vrt_status st;
    const vrt_frame *c = NULL;
    vrt_frame *owned = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    if (!strcasecmp(dot, ".raw") || !strcasecmp(dot, ".yuv") || !strcasecmp(dot, ".bin")) {
        if (f->fourcc == VRT_FMT_MJPEG)
            return write_file(path, f->planes[0].data, f->bytesused, NULL, 0, err, cap);
        FILE *fp = fopen(path, "wb");
        if (!fp) {
            int e = errno;
            vrt_errbuf_set(err, cap, "%s: cannot create: %s", path, strerror(e));
            return vrt_status_from_errno(e);
        }
        int ok = 1;
        uint32_t rb = f->fourcc == VRT_FMT_NV12                                  ? f->width
                      : (f->fourcc == VRT_FMT_YUYV || f->fourcc == VRT_FMT_UYVY) ? f->width * 2
                      : f->fourcc == VRT_FMT_GREY                                ? f->width
                                                                                 : f->width * 3;
        for (int p = 0; p < f->num_planes && ok; p++) {
            uint32_t rows = (f->fourcc == VRT_FMT_NV12 && p == 1) ? f->height / 2 : f->height;
            for (uint32_t y = 0; y < rows && ok; y++)
                ok = fwrite(f->planes[p].data + (size_t)y * f->planes[p].stride, 1, rb, fp) == rb;
        }
        ok = (fclose(fp) == 0) && ok;
        if (!ok) {
            vrt_errbuf_set(err, cap, "%s: write error (disk full?)", path);
            return VRT_EIO;
        }
        return VRT_OK;
    }
    if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) {
        if (f->fourcc == VRT_FMT_MJPEG)
            return write_file(path, f->planes[0].data, f->bytesused, NULL, 0, err, cap);
        if ((st = vrt_jpeg_encode(f, jpeg_quality, &buf, &n, err, cap))) return st;
    } else if (!strcasecmp(dot, ".png")) {
        if (f->fourcc == VRT_FMT_MJPEG) {
            if ((st = as_format(f, VRT_FMT_RGB24, &c, &owned, err, cap))) return st;
            st = vrt_png_encode(c, &buf, &n, err, cap);
            vrt_frame_unref(&owned);
        } else {
            st = vrt_png_encode(f, &buf, &n, err, cap);
        }
        if (st) return st;
    } else if (!strcasecmp(dot, ".ppm") || !strcasecmp(dot, ".pgm")) {
        int grey = !strcasecmp(dot, ".pgm");
        if ((st = as_format(f, grey ? VRT_FMT_GREY : VRT_FMT_RGB24, &c, &owned, err, cap))) return st;
        char hdr[64];
        int hn = snprintf(hdr, sizeof(hdr), "P%c\n%u %u\n255\n", grey ? '5' : '6', c->width, c->height);
        size_t rb = (size_t)c->width * (grey ? 1 : 3);
        n = (size_t)hn + rb * c->height;
        buf = vrt_malloc(n);
        if (!buf) {
            vrt_frame_unref(&owned);
            vrt_errbuf_set(err, cap, "%s: out of memory", path);
            return VRT_ENOMEM;
        }
        memcpy(buf, hdr, (size_t)hn);
        for (uint32_t y = 0; y < c->height; y++)
            memcpy(buf + hn + rb * y, c->planes[0].data + (size_t)y * c->planes[0].stride, rb);
        vrt_frame_unref(&owned);
    } else {
        vrt_errbuf_set(err, cap,
                       "%s: unknown image extension '%s'; use .png, .jpg, .jpeg, .ppm, "
                       ".pgm, .raw, .yuv or .bin",
                       path, dot);
        return VRT_EINVAL;
    }
    st = write_file(path, buf, n, NULL, 0, err, cap);
    vrt_free(buf);
    return st;
}
