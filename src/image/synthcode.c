/* The frame-number code of the synthetic source (layout in vrt/image.h).
 * Decoding samples the middle half of each cell (so edges blurred by JPEG or
 * resizing do not matter), thresholds at the midpoint between the sync
 * cells' black and white, and checks the sync pattern and a CRC-8. */
#include "vrt/image.h"

#include <string.h>

static const int k_sync[2][4] = {{1, 0, 1, 1}, {1, 1, 0, 1}};
#define DATA_CELLS (VRT_SYNTH_CELLS - 4) /* per row */

static uint8_t crc8(const uint8_t *d, int n) {
    uint8_t c = 0;
    for (int i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++)
            c = (uint8_t)((c & 0x80) ? (c << 1) ^ 0x07 : c << 1);
    }
    return c;
}

/* 56 bits, MSB first: 48 bits of number, then CRC-8 of its 6 big-endian bytes. */
static uint64_t payload(uint64_t number) {
    uint8_t b[6];
    number &= ((uint64_t)1 << 48) - 1;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(number >> (40 - 8 * i));
    return (number << 8) | crc8(b, 6);
}

/* Cell boundaries, rounded to even pixels. */
static int edge(uint32_t size, int i, int n) {
    return 2 * (int)(((uint64_t)size * (uint64_t)i + (uint64_t)n) / (uint64_t)(2 * n));
}

vrt_status vrt_synthetic_encode_number(vrt_frame *f, uint64_t number) {
    if (!f || !vrt_fourcc_is_raw(f->fourcc)) return VRT_EINVAL;
    uint64_t bits = payload(number);
    for (int r = 0; r < 2; r++) {
        int y0 = edge(f->height, r, VRT_SYNTH_ROWS_DIV), y1 = edge(f->height, r + 1, VRT_SYNTH_ROWS_DIV);
        for (int i = 0; i < VRT_SYNTH_CELLS; i++) {
            int on;
            if (i < 4) {
                on = k_sync[r][i];
            } else {
                int bit = r * DATA_CELLS + (i - 4); /* 0 = most significant of 56 */
                on = (int)((bits >> (55 - bit)) & 1);
            }
            int x0 = edge(f->width, i, VRT_SYNTH_CELLS), x1 = edge(f->width, i + 1, VRT_SYNTH_CELLS);
            uint8_t v = on ? 255 : 0;
            vrt_status st = vrt_image_fill_rect(f, x0, y0, x1 - x0, y1 - y0, v, v, v);
            if (st) return st;
        }
    }
    return VRT_OK;
}

/* Luma-like brightness of pixel (x, y); only compared within one frame. */
static int bright(const vrt_frame *f, uint32_t x, uint32_t y) {
    const uint8_t *row = f->planes[0].data + (size_t)y * f->planes[0].stride;
    switch (f->fourcc) {
    case VRT_FMT_YUYV: return row[2 * x];
    case VRT_FMT_UYVY: return row[2 * x + 1];
    case VRT_FMT_NV12:
    case VRT_FMT_GREY: return row[x];
    default: { /* RGB24 / BGR24: R + 2G + B, scaled like the others */
        const uint8_t *p = row + 3 * (size_t)x;
        return (p[0] + 2 * p[1] + p[2] + 2) / 4;
    }
    }
}

/* Mean brightness of the middle half of a cell. */
static int cell_mean(const vrt_frame *f, int r, int i) {
    double cy = (r + 0.5) * f->height / VRT_SYNTH_ROWS_DIV, hy = 0.25 * f->height / VRT_SYNTH_ROWS_DIV;
    double cx = (i + 0.5) * f->width / VRT_SYNTH_CELLS, hx = 0.25 * f->width / VRT_SYNTH_CELLS;
    int x0 = (int)(cx - hx + 0.5), x1 = (int)(cx + hx + 0.5);
    int y0 = (int)(cy - hy + 0.5), y1 = (int)(cy + hy + 0.5);
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    if (x1 > (int)f->width) x1 = (int)f->width;
    if (y1 > (int)f->height) y1 = (int)f->height;
    long sum = 0, n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++)
            sum += bright(f, (uint32_t)x, (uint32_t)y);
    return n ? (int)(sum / n) : 0;
}

vrt_status vrt_synthetic_decode_number(const vrt_frame *f, uint64_t *number) {
    if (!f || !number) return VRT_EINVAL;
    if (f->fourcc == VRT_FMT_MJPEG) {
        vrt_frame *g = NULL;
        vrt_status st = vrt_jpeg_decode(f->planes[0].data, f->bytesused, VRT_FMT_GREY, &g, NULL, 0);
        if (st) return st;
        st = vrt_synthetic_decode_number(g, number);
        vrt_frame_unref(&g);
        return st;
    }
    if (!vrt_fourcc_is_raw(f->fourcc) || !f->planes[0].data) return VRT_EINVAL;
    if (f->width < VRT_SYNTH_CELLS || f->height < VRT_SYNTH_ROWS_DIV) return VRT_EBADDATA;
    int m[2][VRT_SYNTH_CELLS];
    long white = 0, black = 0;
    int nw = 0, nbk = 0;
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < VRT_SYNTH_CELLS; i++)
            m[r][i] = cell_mean(f, r, i);
        for (int i = 0; i < 4; i++) {
            if (k_sync[r][i])
                white += m[r][i], nw++;
            else
                black += m[r][i], nbk++;
        }
    }
    int wv = (int)(white / nw), bv = (int)(black / nbk);
    if (wv - bv < 64) return VRT_EBADDATA; /* no code here */
    int thr = (wv + bv) / 2;
    uint64_t bits = 0;
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 4; i++)
            if ((m[r][i] > thr) != k_sync[r][i]) return VRT_EBADDATA;
        for (int i = 4; i < VRT_SYNTH_CELLS; i++)
            bits = (bits << 1) | (uint64_t)(m[r][i] > thr);
    }
    uint64_t num = bits >> 8;
    if (payload(num) != bits) return VRT_EBADDATA;
    *number = num;
    return VRT_OK;
}
