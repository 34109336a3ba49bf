/* JPEG decode/encode with libjpeg-turbo. libjpeg reports errors through
 * error_exit, which by default prints and calls exit(); ours formats the
 * message and longjmps back, so a corrupt frame is a VRT_EBADDATA, never a
 * dead process. Warnings that mean the picture is incomplete (premature end
 * of data, lost sync) are errors too; harmless ones (extraneous bytes before
 * a marker, common in webcam MJPEG) are ignored. Nothing is printed. */
#include "vrt/image.h"

#include "image_impl.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jerr;

static void on_error_exit(j_common_ptr c) {
    jerr *e = (jerr *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jb, 1);
}

static void on_output_message(j_common_ptr c) {
    (void)c;
}

static void on_emit_message(j_common_ptr c, int level) {
    if (level >= 0) return; /* trace messages */
    int code = c->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_MUST_RESYNC ||
        code == JWRN_HUFF_BAD_CODE || code == JWRN_NOT_SEQUENTIAL)
        on_error_exit(c);
    c->err->num_warnings++;
}

static void jerr_init(jerr *e) {
    jpeg_std_error(&e->pub);
    e->pub.error_exit = on_error_exit;
    e->pub.output_message = on_output_message;
    e->pub.emit_message = on_emit_message;
    e->msg[0] = 0;
}

vrt_status vrt_jpeg_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height, char *err,
                         size_t cap) {
    struct jpeg_decompress_struct ci;
    jerr e;
    if (!data || !size) {
        vrt_errbuf_set(err, cap, "not a JPEG: no data");
        return VRT_EBADDATA;
    }
    jerr_init(&e);
    ci.err = &e.pub;
    jpeg_create_decompress(&ci);
    if (setjmp(e.jb)) {
        vrt_errbuf_set(err, cap, "bad JPEG header: %s", e.msg);
        jpeg_destroy_decompress(&ci);
        return VRT_EBADDATA;
    }
    jpeg_mem_src(&ci, data, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    *width = ci.image_width;
    *height = ci.image_height;
    jpeg_destroy_decompress(&ci);
    return VRT_OK;
}

/* The view of rows [y, y+n) of f as a frame of height n. */
static void row_view(const vrt_frame *f, uint32_t y, uint32_t n, vrt_frame *v) {
    *v = *f;
    v->height = n;
    v->planes[0].data = f->planes[0].data + (size_t)y * f->planes[0].stride;
    if (f->fourcc == VRT_FMT_NV12)
        v->planes[1].data = f->planes[1].data + (size_t)(y / 2) * f->planes[1].stride;
}

vrt_status vrt_jpeg_decode_into(const uint8_t *data, size_t size, vrt_frame *dst, char *err, size_t cap) {
    struct jpeg_decompress_struct ci;
    jerr e;
    char nb[8];
    if (!data || !size) {
        vrt_errbuf_set(err, cap, "JPEG decode: no data");
        return VRT_EBADDATA;
    }
    if (!vrt_fourcc_is_raw(dst->fourcc) || !dst->planes[0].data) {
        vrt_errbuf_set(err, cap,
                       "JPEG decode: destination format %s not supported; use YUYV, UYVY, "
                       "NV12, RGB24, BGR24 or GREY",
                       vrt_fourcc_name(dst->fourcc, nb));
        return VRT_EINVAL;
    }
    jerr_init(&e);
    ci.err = &e.pub;
    jpeg_create_decompress(&ci);
    /* Status to return after a longjmp; set before each step that may fail. */
    volatile vrt_status fail = VRT_EBADDATA;
    if (setjmp(e.jb)) {
        if (fail == VRT_EBADDATA) vrt_errbuf_set(err, cap, "corrupt JPEG: %s", e.msg);
        jpeg_destroy_decompress(&ci);
        return fail;
    }
    jpeg_mem_src(&ci, data, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    if (ci.image_width != dst->width || ci.image_height != dst->height) {
        vrt_errbuf_set(err, cap, "JPEG is %ux%u but the destination frame is %ux%u", ci.image_width,
                       ci.image_height, dst->width, dst->height);
        jpeg_destroy_decompress(&ci);
        return VRT_EINVAL;
    }
    int direct = dst->fourcc == VRT_FMT_RGB24 || dst->fourcc == VRT_FMT_BGR24;
    ci.out_color_space = dst->fourcc == VRT_FMT_BGR24 ? JCS_EXT_BGR : JCS_RGB;
    jpeg_start_decompress(&ci);
    if (ci.output_components != 3) {
        vrt_errbuf_set(err, cap, "JPEG decode: unexpected %d output components", ci.output_components);
        jpeg_destroy_decompress(&ci);
        return VRT_EBADDATA;
    }
    if (direct) {
        while (ci.output_scanline < ci.output_height) {
            JSAMPROW row = dst->planes[0].data + (size_t)ci.output_scanline * dst->planes[0].stride;
            jpeg_read_scanlines(&ci, &row, 1);
        }
    } else {
        /* Two RGB rows at a time (NV12 needs row pairs), converted with the
         * reference converter: MJPEG -> X is exactly decode to RGB24, then
         * RGB24 -> X. The scratch lives in libjpeg's pool, freed on any exit. */
        JSAMPARRAY rows = ci.mem->alloc_sarray((j_common_ptr)&ci, JPOOL_IMAGE, ci.output_width * 3, 2);
        while (ci.output_scanline < ci.output_height) {
            uint32_t y = ci.output_scanline;
            uint32_t n = ci.output_height - y >= 2 ? 2 : 1;
            uint32_t got = 0;
            while (got < n)
                got += jpeg_read_scanlines(&ci, rows + got, n - got);
            vrt_frame s, t;
            memset(&s, 0, sizeof(s));
            vrt_frame_layout(&s, VRT_FMT_RGB24, ci.output_width, 2, rows[0]);
            s.height = n;
            s.planes[0].stride = (uint32_t)(rows[1] - rows[0]);
            row_view(dst, y, n, &t);
            fail = vrt_image_convert(&s, &t, err, cap);
            if (fail) {
                jpeg_destroy_decompress(&ci);
                return fail;
            }
            fail = VRT_EBADDATA; /* what a later libjpeg error (longjmp) must return */
        }
    }
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    return VRT_OK;
}

vrt_status vrt_jpeg_decode(const uint8_t *data, size_t size, uint32_t fourcc, vrt_frame **out, char *err,
                           size_t cap) {
    *out = NULL;
    uint32_t w, h;
    char nb[8];
    if (!fourcc) fourcc = VRT_FMT_RGB24;
    if (!vrt_fourcc_is_raw(fourcc)) {
        vrt_errbuf_set(err, cap,
                       "JPEG decode: format %s not supported; use YUYV, UYVY, NV12, RGB24, "
                       "BGR24 or GREY",
                       vrt_fourcc_name(fourcc, nb));
        return VRT_EINVAL;
    }
    vrt_status st = vrt_jpeg_info(data, size, &w, &h, err, cap);
    if (st) return st;
    vrt_frame *f = NULL;
    if ((st = vrt_image_alloc(fourcc, w, h, &f))) {
        if (st == VRT_EINVAL)
            vrt_errbuf_set(err, cap, "JPEG is %ux%u: not a valid size for %s (%s)", w, h,
                           vrt_fourcc_name(fourcc, nb), vrt__frame_size_problem(fourcc, w, h));
        else
            vrt_errbuf_set(err, cap, "out of memory for a %ux%u image", w, h);
        return st;
    }
    if ((st = vrt_jpeg_decode_into(data, size, f, err, cap))) {
        vrt_frame_unref(&f);
        return st;
    }
    *out = f;
    return VRT_OK;
}

/* The libjpeg part of encoding, kept apart so that nothing it uses is
 * modified between setjmp and longjmp. *buf is from libjpeg's malloc. */
static vrt_status encode_rows(const vrt_frame *src, int quality, unsigned char **buf, unsigned long *len,
                              char *err, size_t cap) {
    struct jpeg_compress_struct ci;
    jerr e;
    jerr_init(&e);
    ci.err = &e.pub;
    jpeg_create_compress(&ci);
    if (setjmp(e.jb)) {
        vrt_errbuf_set(err, cap, "JPEG encode failed: %s", e.msg);
        jpeg_destroy_compress(&ci);
        return VRT_EIO;
    }
    jpeg_mem_dest(&ci, buf, len);
    ci.image_width = src->width;
    ci.image_height = src->height;
    ci.input_components = src->fourcc == VRT_FMT_GREY ? 1 : 3;
    ci.in_color_space = src->fourcc == VRT_FMT_GREY    ? JCS_GRAYSCALE
                        : src->fourcc == VRT_FMT_BGR24 ? JCS_EXT_BGR
                                                       : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = src->planes[0].data + (size_t)ci.next_scanline * src->planes[0].stride;
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    return VRT_OK;
}

vrt_status vrt_jpeg_encode(const vrt_frame *f, int quality, uint8_t **out, size_t *size, char *err,
                           size_t cap) {
    *out = NULL;
    *size = 0;
    char nb[8];
    if (!vrt_fourcc_is_raw(f->fourcc)) {
        vrt_errbuf_set(err, cap, "JPEG encode: format %s not supported; give a raw frame",
                       vrt_fourcc_name(f->fourcc, nb));
        return VRT_EINVAL;
    }
    if (quality <= 0) quality = 90;
    if (quality > 100) quality = 100;
    const vrt_frame *src = f;
    vrt_frame *tmp = NULL;
    vrt_status st;
    if (f->fourcc != VRT_FMT_RGB24 && f->fourcc != VRT_FMT_BGR24 && f->fourcc != VRT_FMT_GREY) {
        if ((st = vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &tmp))) {
            vrt_errbuf_set(err, cap, "JPEG encode: out of memory");
            return st;
        }
        if ((st = vrt_image_convert(f, tmp, err, cap))) {
            vrt_frame_unref(&tmp);
            return st;
        }
        src = tmp;
    }
    unsigned char *buf = NULL;
    unsigned long len = 0;
    st = encode_rows(src, quality, &buf, &len, err, cap);
    vrt_frame_unref(&tmp);
    if (st) {
        free(buf);
        return st;
    }
    uint8_t *o = vrt_malloc(len ? len : 1);
    if (!o) {
        free(buf);
        vrt_errbuf_set(err, cap, "JPEG encode: out of memory");
        return VRT_ENOMEM;
    }
    memcpy(o, buf, len);
    free(buf);
    *out = o;
    *size = len;
    return VRT_OK;
}
