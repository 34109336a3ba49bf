/* PNG decode/encode with libpng's classic API. libpng reports errors through
 * an error callback that must not return; ours records the message and
 * longjmps back, warnings are dropped, so corrupt data is VRT_EBADDATA and
 * nothing is printed. Decoding follows cv2.imread(IMREAD_COLOR): palette and
 * low-bit grey expanded, 16-bit reduced to 8, alpha dropped (not composited). */
#include "vrt/image.h"

#include "image_impl.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

typedef struct png_ctx {
    char msg[256];
    const uint8_t *data; /* reading */
    size_t size, pos;
    uint8_t *out; /* writing: vrt_realloc'd */
    size_t out_len, out_cap;
} png_ctx;

static void on_error(png_structp png, png_const_charp msg) {
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep out, png_size_t n) {
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->size - c->pos) png_error(png, "truncated data (unexpected end of file)");
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static void on_write(png_structp png, png_bytep in, png_size_t n) {
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->out_cap - c->out_len) {
        size_t ncap = c->out_cap ? c->out_cap * 2 : 65536;
        while (ncap - c->out_len < n)
            ncap *= 2;
        uint8_t *p = vrt_realloc(c->out, ncap);
        if (!p) png_error(png, "out of memory");
        c->out = p;
        c->out_cap = ncap;
    }
    memcpy(c->out + c->out_len, in, n);
    c->out_len += n;
}

static void on_flush(png_structp png) {
    (void)png;
}

static vrt_status check_sig(const uint8_t *data, size_t size, char *err, size_t cap) {
    if (!data || size < 8 || png_sig_cmp(data, 0, 8)) {
        vrt_errbuf_set(err, cap, "not a PNG (bad signature)");
        return VRT_EBADDATA;
    }
    return VRT_OK;
}

vrt_status vrt_png_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height, char *err,
                        size_t cap) {
    vrt_status st = check_sig(data, size, err, cap);
    if (st) return st;
    png_ctx c;
    memset(&c, 0, sizeof(c));
    c.data = data;
    c.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        vrt_errbuf_set(err, cap, "PNG: out of memory");
        return VRT_ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        vrt_errbuf_set(err, cap, "bad PNG header: %s", c.msg);
        return VRT_EBADDATA;
    }
    png_set_read_fn(png, &c, on_read);
    png_read_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return VRT_OK;
}

/* Decodes into a new RGB24 frame, or GREY when want_grey and the PNG is grey. */
static vrt_status decode_native(const uint8_t *data, size_t size, int want_grey, vrt_frame **out, char *err,
                                size_t cap) {
    png_ctx c;
    memset(&c, 0, sizeof(c));
    c.data = data;
    c.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        vrt_errbuf_set(err, cap, "PNG: out of memory");
        return VRT_ENOMEM;
    }
    vrt_frame *volatile img = NULL;
    png_bytep *volatile rows = NULL;
    volatile vrt_status fail = VRT_EBADDATA;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        vrt_frame *f = img;
        vrt_frame_unref(&f);
        vrt_free(rows);
        if (fail == VRT_EBADDATA) vrt_errbuf_set(err, cap, "corrupt PNG: %s", c.msg);
        return fail;
    }
    png_set_read_fn(png, &c, on_read);
    png_read_info(png, info);
    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int ct = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if (ct & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    int grey = (ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA);
    if (grey && !want_grey) png_set_gray_to_rgb(png);
    int out_grey = grey && want_grey;
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * (out_grey ? 1 : 3)) {
        snprintf(c.msg, sizeof(c.msg), "unexpected row size after transforms");
        png_longjmp(png, 1);
    }
    vrt_frame *f = NULL;
    fail = vrt_image_alloc(out_grey ? VRT_FMT_GREY : VRT_FMT_RGB24, w, h, &f);
    if (fail) {
        vrt_errbuf_set(err, cap, "PNG: %ux%u image: %s", w, h,
                       fail == VRT_EINVAL ? "size out of range" : "out of memory");
        png_longjmp(png, 1);
    }
    img = f;
    fail = VRT_ENOMEM;
    rows = vrt_malloc(sizeof(png_bytep) * h);
    if (!rows) {
        vrt_errbuf_set(err, cap, "PNG: out of memory");
        png_longjmp(png, 1);
    }
    fail = VRT_EBADDATA;
    for (uint32_t y = 0; y < h; y++)
        rows[y] = f->planes[0].data + (size_t)y * f->planes[0].stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    vrt_free(rows);
    *out = f;
    return VRT_OK;
}

vrt_status vrt_png_decode(const uint8_t *data, size_t size, uint32_t fourcc, vrt_frame **out, char *err,
                          size_t cap) {
    *out = NULL;
    char nb[8];
    if (!fourcc) fourcc = VRT_FMT_RGB24;
    if (!vrt_fourcc_is_raw(fourcc)) {
        vrt_errbuf_set(err, cap,
                       "PNG decode: format %s not supported; use YUYV, UYVY, NV12, RGB24, "
                       "BGR24 or GREY",
                       vrt_fourcc_name(fourcc, nb));
        return VRT_EINVAL;
    }
    vrt_status st = check_sig(data, size, err, cap);
    if (st) return st;
    vrt_frame *img = NULL;
    if ((st = decode_native(data, size, fourcc == VRT_FMT_GREY, &img, err, cap))) return st;
    if (img->fourcc == fourcc) {
        *out = img;
        return VRT_OK;
    }
    vrt_frame *f = NULL;
    if ((st = vrt_image_alloc(fourcc, img->width, img->height, &f))) {
        vrt_errbuf_set(err, cap, "PNG is %ux%u: not a valid size for %s (%s)", img->width, img->height,
                       vrt_fourcc_name(fourcc, nb), vrt__frame_size_problem(fourcc, img->width, img->height));
        vrt_frame_unref(&img);
        return st;
    }
    st = vrt_image_convert(img, f, err, cap);
    vrt_frame_unref(&img);
    if (st) {
        vrt_frame_unref(&f);
        return st;
    }
    *out = f;
    return VRT_OK;
}

/* The libpng part of encoding, kept apart so that nothing it uses is modified
 * between setjmp and longjmp. On success c->out holds the file. */
static vrt_status encode_rows(const vrt_frame *src, png_ctx *c, char *err, size_t cap) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        vrt_errbuf_set(err, cap, "PNG: out of memory");
        return VRT_ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        vrt_errbuf_set(err, cap, "PNG encode failed: %s", c->msg);
        return VRT_EIO;
    }
    png_set_write_fn(png, c, on_write, on_flush);
    png_set_IHDR(png, info, src->width, src->height, 8,
                 src->fourcc == VRT_FMT_GREY ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 3); /* speed over size: these are test and debug images */
    png_write_info(png, info);
    for (uint32_t y = 0; y < src->height; y++)
        png_write_row(png, src->planes[0].data + (size_t)y * src->planes[0].stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return VRT_OK;
}

vrt_status vrt_png_encode(const vrt_frame *f, uint8_t **out, size_t *size, char *err, size_t cap) {
    *out = NULL;
    *size = 0;
    char nb[8];
    if (!vrt_fourcc_is_raw(f->fourcc)) {
        vrt_errbuf_set(err, cap, "PNG encode: format %s not supported; give a raw frame",
                       vrt_fourcc_name(f->fourcc, nb));
        return VRT_EINVAL;
    }
    vrt_status st;
    const vrt_frame *src = f;
    vrt_frame *tmp = NULL;
    if (f->fourcc != VRT_FMT_RGB24 && f->fourcc != VRT_FMT_GREY) {
        if ((st = vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &tmp))) {
            vrt_errbuf_set(err, cap, "PNG encode: out of memory");
            return st;
        }
        if ((st = vrt_image_convert(f, tmp, err, cap))) {
            vrt_frame_unref(&tmp);
            return st;
        }
        src = tmp;
    }
    png_ctx c;
    memset(&c, 0, sizeof(c));
    st = encode_rows(src, &c, err, cap);
    vrt_frame_unref(&tmp);
    if (st) {
        vrt_free(c.out);
        return st;
    }
    *out = c.out;
    *size = c.out_len;
    return VRT_OK;
}
