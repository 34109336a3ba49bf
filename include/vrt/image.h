/*
 * vrt/image.h - CPU reference pixel conversion, JPEG/PNG coding, image files,
 * and the synthetic source's frame-number code.
 *
 * Conversion (vrt_image_convert) is the exact, simple reference the GPU
 * kernels are compared with. Formats: YUYV, UYVY, NV12, RGB24, BGR24, GREY
 * in every direction, and MJPEG (decoded with libjpeg-turbo) to any of them.
 * The arithmetic, all integer fixed point with 16 fractional bits, rounding
 * by adding 1/2 (32768) before an arithmetic right shift, then clamping to
 * 0..255:
 *
 *   RGB -> YUV (BT.601, limited range: Y 16..235, U/V 16..240)
 *     Y = ((16829 R + 33039 G +  6416 B + 32768) >> 16) + 16
 *     U = ((-9714 R - 19070 G + 28784 B + 32768) >> 16) + 128
 *     V = ((28784 R - 24103 G -  4681 B + 32768) >> 16) + 128
 *   Subsampled chroma (4:2:2: 2 pixels of a row; 4:2:0: the 2x2 block) is the
 *   chroma of the *summed* R, G, B of the n pixels: the same formula with the
 *   sums and a shift of 16 + log2(n) (rounding 1 << (15 + log2 n)), i.e. the
 *   exact average, rounded once.
 *
 *   YUV -> RGB (c = Y - 16, d = U - 128, e = V - 128)
 *     R = (76309 c           + 104597 e + 32768) >> 16
 *     G = (76309 c -  25675 d -  53279 e + 32768) >> 16
 *     B = (76309 c + 132201 d            + 32768) >> 16
 *   Chroma is taken from the pixel's own chroma sample (nearest: no
 *   interpolation; for NV12 one sample serves its 2x2 block).
 *
 *   GREY is full-range luma:
 *     RGB -> GREY  G8 = (19595 R + 38470 G + 7471 B + 32768) >> 16   (0.299, 0.587, 0.114)
 *     GREY -> RGB  R = G = B = G8;  GREY -> YUV: as RGB -> YUV with R = G = B = G8
 *     YUV -> GREY  G8 = (76309 (Y - 16) + 32768) >> 16   (the luma of YUV -> RGB)
 *   YUV -> YUV copies Y exactly; 4:2:2 -> 4:2:0 averages the chroma of the two
 *   rows, (a + b + 1) >> 1; 4:2:0 -> 4:2:2 repeats each chroma row twice.
 *   RGB <-> BGR swaps bytes; a format to itself copies.
 *
 * JPEG decoding uses libjpeg-turbo's defaults (accurate integer IDCT, fancy
 * upsampling), the same as OpenCV's and PIL's; PNG alpha is dropped (not
 * composited), 16-bit samples are reduced to 8 bits, like cv2.imread.
 * Corrupt or truncated data returns VRT_EBADDATA with a message; the
 * libraries never print or exit.
 *
 * Error strings: every function that takes (err, cap) writes a one-line
 * message there on failure (err may be NULL). Functions given a path name it.
 *
 * Ownership: a frame returned through `vrt_frame **out` is new, holds one
 * reference, and owns its memory (the last vrt_frame_unref frees it); on
 * failure *out is NULL. Encoders return a buffer from vrt_malloc in *out
 * (free with vrt_free); on failure *out is NULL and *size 0.
 *
 * Threading: all functions are reentrant; no shared state.
 */
#ifndef VRT_IMAGE_H
#define VRT_IMAGE_H

#include "vrt/export.h"
#include "vrt/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- frames with their own memory ----------------------------------------- */

/* New tightly packed frame of fourcc/size (refs 1; unref frees). MJPEG: a
 * buffer of vrt_frame_size_for() bytes with bytesused 0. VRT_EINVAL for sizes
 * the format cannot have (odd widths for 4:2:2, odd sizes for NV12). */
VRT_API vrt_status vrt_image_alloc(uint32_t fourcc, uint32_t width, uint32_t height, vrt_frame **out);
/* New MJPEG frame holding a copy of size bytes of JPEG data (bytesused = size),
 * width/height read from the JPEG header. */
VRT_API vrt_status vrt_image_alloc_jpeg(const uint8_t *data, size_t size, vrt_frame **out, char *err,
                                        size_t cap);

/* ---- conversion ------------------------------------------------------------- */

/* Converts src into dst. dst is already laid out by the caller (fourcc, size,
 * planes with strides, memory owned by the caller) and has src's width and
 * height. Any raw format -> any raw format; MJPEG src -> any raw format.
 * Only pixels are written: dst's timestamps and sequence are left alone.
 * VRT_EINVAL for size mismatch or unknown formats, VRT_EBADDATA for a corrupt
 * MJPEG frame. Allocates nothing for raw formats. */
VRT_API vrt_status vrt_image_convert(const vrt_frame *src, vrt_frame *dst, char *err, size_t cap);

/* Fills the rectangle [x, x+w) x [y, y+h) of a raw frame with one RGB colour,
 * converted to the frame's format with the formulas above (clipped to the
 * frame; for 4:2:2 and 4:2:0 the rectangle is widened to even coordinates so
 * that no chroma sample is shared with the outside). */
VRT_API vrt_status vrt_image_fill_rect(vrt_frame *f, int x, int y, int w, int h, uint8_t r, uint8_t g,
                                       uint8_t b);

/* ---- JPEG (libjpeg-turbo) ----------------------------------------------------- */

/* Reads the header only. */
VRT_API vrt_status vrt_jpeg_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                                 char *err, size_t cap);
/* Decodes to a new frame of fourcc (0: RGB24; raw formats only; 4:2:2 and 4:2:0
 * formats need even sizes: odd JPEG sizes give VRT_EINVAL, decode to RGB24 and
 * convert a cropped view instead). */
VRT_API vrt_status vrt_jpeg_decode(const uint8_t *data, size_t size, uint32_t fourcc, vrt_frame **out,
                                   char *err, size_t cap);
/* Decodes into a frame the caller laid out with the JPEG's exact size. */
VRT_API vrt_status vrt_jpeg_decode_into(const uint8_t *data, size_t size, vrt_frame *dst, char *err,
                                        size_t cap);
/* Encodes a raw frame (GREY stays one channel; other formats go through RGB24).
 * quality 1..100 (0: 90). 4:2:0 chroma subsampling, baseline. */
VRT_API vrt_status vrt_jpeg_encode(const vrt_frame *f, int quality, uint8_t **out, size_t *size, char *err,
                                   size_t cap);

/* ---- PNG (libpng) ------------------------------------------------------------- */

VRT_API vrt_status vrt_png_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                                char *err, size_t cap);
/* Decodes to a new frame of fourcc (0: RGB24); same format rules as vrt_jpeg_decode. */
VRT_API vrt_status vrt_png_decode(const uint8_t *data, size_t size, uint32_t fourcc, vrt_frame **out,
                                  char *err, size_t cap);
/* Encodes a raw frame (GREY as 8-bit grey, others as 8-bit RGB). */
VRT_API vrt_status vrt_png_encode(const vrt_frame *f, uint8_t **out, size_t *size, char *err, size_t cap);

/* ---- files ------------------------------------------------------------------- */

/* Reads a whole file into a vrt_malloc'd buffer (*data; vrt_free it). VRT_ENOENT
 * for a missing file, VRT_EIO for other read errors, VRT_ENOMEM past max_size
 * bytes (0: 1 GiB). */
VRT_API vrt_status vrt_image_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size,
                                       char *err, size_t cap);
/* Width and height of a JPEG or PNG file from its header (by content, not name). */
VRT_API vrt_status vrt_image_probe(const char *path, uint32_t *width, uint32_t *height, char *err,
                                   size_t cap);
/* JPEG or PNG file (recognised by content) -> new frame in fourcc (0: RGB24).
 * fourcc MJPEG: a JPEG file's bytes as they are (a PNG is re-encoded at quality 90). */
VRT_API vrt_status vrt_image_load(const char *path, uint32_t fourcc, vrt_frame **out, char *err, size_t cap);
/* Writes by extension (case-insensitive): .png, .jpg/.jpeg (quality 1..100, 0: 90;
 * MJPEG frames are written as they are), .ppm (RGB), .pgm (GREY), .raw/.yuv/.bin
 * (the frame's bytes as they are: each plane's rows without stride padding, or
 * the JPEG data for MJPEG). Frames in other formats are converted first. */
VRT_API vrt_status vrt_image_save(const vrt_frame *f, const char *path, int jpeg_quality, char *err,
                                  size_t cap);

/* ---- synthetic source's frame-number code --------------------------------- */

/* The synthetic source (synthetic:) draws at the top of every frame two rows
 * of 32 black/white cells. Row r (r = 0, 1) spans y in [r*H/16, (r+1)*H/16),
 * cell i spans x in [i*W/32, (i+1)*W/32) (boundaries rounded to even pixels).
 * Cells 0-3 of each row are a sync pattern (row 0: 1 0 1 1, row 1: 1 1 0 1;
 * 1 = white); cells 4-31 carry 28 bits each, 56 bits in all, most significant
 * first: the frame number's low 48 bits followed by a CRC-8 (polynomial 0x07)
 * of those 6 bytes, big-endian. With W = 640, H = 480 the cells are 20x30 px. */
#define VRT_SYNTH_CELLS 32
#define VRT_SYNTH_ROWS_DIV 16 /* each code row is H/16 high */

/* Draws the code for number into a raw frame (used by the synthetic source). */
VRT_API vrt_status vrt_synthetic_encode_number(vrt_frame *f, uint64_t number);
/* Reads the number back from a frame in any raw format or MJPEG, also after
 * JPEG compression or a moderate resize (the code scales with the frame).
 * VRT_EBADDATA when no valid code is found (sync or CRC mismatch, no contrast). */
VRT_API vrt_status vrt_synthetic_decode_number(const vrt_frame *f, uint64_t *number);

#ifdef __cplusplus
}
#endif
#endif
