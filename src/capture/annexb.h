/*
 * Private: an Annex-B (ITU-T H.264 / H.265 annex B) elementary stream reader.
 *
 * The stream is NAL units each after a start code (00 00 01, or 00 00 00 01).
 * The reader cuts a byte range (a memory-mapped file, or any buffer) into
 * access units: all NAL units of one coded picture, including the parameter
 * sets, SEI and delimiters before it. A new access unit begins (H.264
 * 7.4.1.2.3, H.265 7.4.2.4.4) at an access-unit delimiter, a parameter set,
 * an SEI or another non-VCL unit that may only come first, or at a slice
 * whose first_mb_in_slice is 0 (H.264) or first_slice_segment_in_pic_flag is 1
 * (H.265), whenever the current unit already holds a slice.
 *
 * Nothing is copied or allocated by the splitter: access units are ranges of
 * the caller's buffer. vrt__annexb_open maps a file read-only (mmap) so the
 * whole stream is addressable without buffering.
 */
#ifndef VRT_CAPTURE_ANNEXB_H
#define VRT_CAPTURE_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

typedef enum vrt__es_codec {
    VRT__ES_NONE = 0,
    VRT__ES_H264 = 1,
    VRT__ES_HEVC = 2,
} vrt__es_codec;

typedef struct vrt__annexb {
    const uint8_t *data; /* the stream (caller's, or the mapping of vrt__annexb_open) */
    size_t size;
    size_t pos; /* where the next access unit begins */
    vrt__es_codec codec;
    void *map; /* vrt__annexb_open's mapping, else NULL */
    size_t map_size;
} vrt__annexb;

/* The codec a path's extension names: .h264 .264 .avc .jsv -> H.264; .h265 .265 .hevc -> HEVC;
 * anything else VRT__ES_NONE. Case-insensitive. */
vrt__es_codec vrt__annexb_codec_for_path(const char *path);
/* "H.264", "HEVC" or "none". */
const char *vrt__annexb_codec_name(vrt__es_codec c);

/* Reader over buf[0..size) (not copied: the caller keeps it alive). */
void vrt__annexb_init(vrt__annexb *r, const uint8_t *buf, size_t size, vrt__es_codec codec);
/* Maps `path` read-only and checks that a start code comes within its first 64 KiB.
 * Errors (VRT_ENOENT, VRT_EACCES, VRT_EBADDATA for an empty file or no start code)
 * with a message naming the file in err. */
vrt_status vrt__annexb_open(vrt__annexb *r, const char *path, vrt__es_codec codec, char *err, size_t cap);
/* Unmaps (vrt__annexb_open); NULL-safe, idempotent. */
void vrt__annexb_close(vrt__annexb *r);

/* The next access unit: *off and *len give its byte range in r->data (from its first start code to the
 * next unit's), *key 1 when it holds an IDR (H.264) or IRAP (HEVC) slice. Bytes before the first
 * start code are skipped. VRT_EOF at the end of the stream. A unit without a slice (only
 * parameter sets, or trailing non-VCL units) is returned as well: decoders take those. */
vrt_status vrt__annexb_next(vrt__annexb *r, size_t *off, size_t *len, int *key);
/* Back to the start of the stream. */
void vrt__annexb_rewind(vrt__annexb *r);

/* The position of the next start code's first byte (its leading zero byte counted for a 4-byte
 * code) at or after `from`, and *hdr the position of the NAL header after it; size when none. */
size_t vrt__annexb_find_start(const uint8_t *d, size_t size, size_t from, size_t *hdr);

#endif
