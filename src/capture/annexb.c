/* Annex-B elementary stream reader: start codes, NAL unit types, access units (annexb.h). */
#include "annexb.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROBE_BYTES 65536 /* a start code must come this early for a file to count as Annex-B */

/* How a NAL unit stands to access-unit boundaries. */
enum {
    NAL_TRAIL,     /* belongs to the current unit (end of sequence, filler, suffix SEI, unspecified) */
    NAL_FIRST,     /* non-VCL that may only open a unit: it ends a unit that already has a slice */
    NAL_VCL_FIRST, /* the first slice of a picture */
    NAL_VCL,       /* a further slice of the same picture */
};

vrt__es_codec vrt__annexb_codec_for_path(const char *path) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/')) return VRT__ES_NONE;
    static const char *h264[] = {".h264", ".264", ".avc", ".jsv", ".26l"};
    static const char *hevc[] = {".h265", ".265", ".hevc"};
    for (size_t i = 0; i < sizeof(h264) / sizeof(h264[0]); i++)
        if (!strcasecmp(dot, h264[i])) return VRT__ES_H264;
    for (size_t i = 0; i < sizeof(hevc) / sizeof(hevc[0]); i++)
        if (!strcasecmp(dot, hevc[i])) return VRT__ES_HEVC;
    return VRT__ES_NONE;
}

const char *vrt__annexb_codec_name(vrt__es_codec c) {
    return c == VRT__ES_H264 ? "H.264" : c == VRT__ES_HEVC ? "HEVC" : "none";
}

size_t vrt__annexb_find_start(const uint8_t *d, size_t size, size_t from, size_t *hdr) {
    size_t i = from;
    while (i + 3 <= size) {
        /* Every start code ends in 01 after two zeros: look for the 01 and check behind it. */
        const uint8_t *p = memchr(d + i + 2, 1, size - i - 2);
        if (!p) break;
        size_t k = (size_t)(p - d);
        if (d[k - 1] == 0 && d[k - 2] == 0) {
            size_t s = k - 2;
            if (s > from && d[s - 1] == 0) s--; /* zero_byte of a 4-byte start code */
            *hdr = k + 1;
            return s;
        }
        i = k - 1; /* the next search starts after this 01 */
    }
    *hdr = size;
    return size;
}

/* H.264 7.4.1.2.3: nal_unit_type in the low 5 bits; first_mb_in_slice is ue(v), so it is 0
 * exactly when the first bit after the header is 1. */
static int classify_h264(const uint8_t *h, size_t n, int *key) {
    int t = h[0] & 0x1f;
    if (t >= 1 && t <= 5) {
        if (t == 5) *key = 1;
        return n >= 2 && (h[1] & 0x80) ? NAL_VCL_FIRST : NAL_VCL;
    }
    if (t == 19 || t == 20) return NAL_VCL; /* auxiliary / extension slices: same picture */
    if (t == 6 || t == 7 || t == 8 || t == 9 || (t >= 13 && t <= 18)) return NAL_FIRST;
    return NAL_TRAIL; /* 10 end of sequence, 11 end of stream, 12 filler, unspecified */
}

/* H.265 7.4.2.4.4: nal_unit_type in bits 1..6 of the 2-byte header; first_slice_segment_in_pic_flag
 * is the first bit of the slice segment header. */
static int classify_hevc(const uint8_t *h, size_t n, int *key) {
    int t = (h[0] >> 1) & 0x3f;
    if (t <= 31) {
        if (t >= 16 && t <= 23) *key = 1; /* IRAP */
        return n >= 3 && (h[2] & 0x80) ? NAL_VCL_FIRST : NAL_VCL;
    }
    if ((t >= 32 && t <= 35) || t == 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55)) return NAL_FIRST;
    return NAL_TRAIL; /* 36 EOS, 37 EOB, 38 filler, 40 suffix SEI, reserved/unspecified */
}

static int classify(vrt__es_codec c, const uint8_t *h, size_t n, int *key) {
    if (n < 1) return NAL_TRAIL;
    return c == VRT__ES_HEVC ? (n < 2 ? NAL_TRAIL : classify_hevc(h, n, key)) : classify_h264(h, n, key);
}

void vrt__annexb_init(vrt__annexb *r, const uint8_t *buf, size_t size, vrt__es_codec codec) {
    memset(r, 0, sizeof(*r));
    r->data = buf;
    r->size = buf ? size : 0;
    r->codec = codec;
}

vrt_status vrt__annexb_next(vrt__annexb *r, size_t *off, size_t *len, int *key) {
    size_t hdr;
    size_t s = vrt__annexb_find_start(r->data, r->size, r->pos, &hdr);
    *off = *len = 0;
    *key = 0;
    if (s >= r->size) {
        r->pos = r->size;
        return VRT_EOF;
    }
    int seen_vcl = 0, k = 0;
    size_t cur = s, end = r->size;
    for (;;) {
        size_t nhdr;
        size_t next = vrt__annexb_find_start(r->data, r->size, hdr, &nhdr);
        int this_key = 0;
        int cls = classify(r->codec, r->data + hdr, next - hdr, &this_key);
        if (seen_vcl && (cls == NAL_FIRST || cls == NAL_VCL_FIRST)) {
            end = cur;
            break;
        }
        if (cls == NAL_VCL || cls == NAL_VCL_FIRST) seen_vcl = 1;
        k |= this_key;
        if (next >= r->size) break;
        cur = next;
        hdr = nhdr;
    }
    *off = s;
    *len = end - s;
    *key = k;
    r->pos = end;
    return VRT_OK;
}

void vrt__annexb_rewind(vrt__annexb *r) {
    r->pos = 0;
}

vrt_status vrt__annexb_open(vrt__annexb *r, const char *path, vrt__es_codec codec, char *err, size_t cap) {
    vrt__annexb_init(r, NULL, 0, codec);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        vrt_errbuf_set(err, cap, "%s: cannot open: %s", path, strerror(e));
        return vrt_status_from_errno(e);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        vrt_errbuf_set(err, cap, "%s: not a regular non-empty file", path);
        return VRT_EBADDATA;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd); /* the mapping keeps the file */
    if (m == MAP_FAILED) {
        vrt_errbuf_set(err, cap, "%s: cannot map: %s", path, strerror(e));
        return vrt_status_from_errno(e);
    }
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    r->data = m;
    r->size = (size_t)st.st_size;
    r->map = m;
    r->map_size = (size_t)st.st_size;
    size_t hdr;
    size_t probe = r->size < PROBE_BYTES ? r->size : PROBE_BYTES;
    if (vrt__annexb_find_start(r->data, probe, 0, &hdr) >= probe || hdr >= r->size) {
        vrt__annexb_close(r);
        vrt_errbuf_set(err, cap,
                       "%s: no Annex-B start code (00 00 01) in its first %zu bytes: not a raw %s elementary "
                       "stream (for .mp4/.mkv extract one with ffmpeg -i IN -c:v copy -bsf:v %s OUT)",
                       path, probe, vrt__annexb_codec_name(codec),
                       codec == VRT__ES_HEVC ? "hevc_mp4toannexb" : "h264_mp4toannexb");
        return VRT_EBADDATA;
    }
    return VRT_OK;
}

void vrt__annexb_close(vrt__annexb *r) {
    if (r->map) munmap(r->map, r->map_size);
    r->map = NULL;
    r->map_size = 0;
    r->data = NULL;
    r->size = r->pos = 0;
}
