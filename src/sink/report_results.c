/* report_results.c - the HTML report's "results" section: the last result of
 * each stream as tables, whatever its kind (vrt/result.h accessors): classes;
 * boxes with their label and score, a cascade's best class, the depth over
 * the box (a depth model on the same frame), visible keypoints, mask pixels;
 * depth stats; the most frequent classes of a semantic segmentation; and a
 * second model's result on the same frame. Rendered on the report sink's
 * thread into a buffer allocated at open (report.c), written at finish. */
#include "sink-impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_ROWS 50 /* boxes or classes shown per result */

static void hb_printf(vrt__html_buf *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends while the text fits below cap - RESERVE (the rest keeps room for the truncation note). */
#define RESERVE 64
static void hb_printf(vrt__html_buf *h, const char *fmt, ...) {
    const size_t lim = h->cap > RESERVE ? h->cap - RESERVE : 0;
    if (h->truncated || h->n + 1 >= lim) {
        h->truncated = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(h->b + h->n, lim - h->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= lim - h->n) {
        h->truncated = 1;
        h->b[h->n] = 0; /* drop the cut piece */
        return;
    }
    h->n += (size_t)k;
}

static void hb_esc(vrt__html_buf *h, const char *s) {
    if (!s) {
        hb_printf(h, "&ndash;");
        return;
    }
    for (; *s; s++) {
        switch (*s) {
        case '<': hb_printf(h, "&lt;"); break;
        case '>': hb_printf(h, "&gt;"); break;
        case '&': hb_printf(h, "&amp;"); break;
        case '"': hb_printf(h, "&quot;"); break;
        default: hb_printf(h, "%c", *s);
        }
    }
}

static void classes_table(vrt__html_buf *h, const vrt_result *r) {
    hb_printf(h, "<tr><th>rank</th><th>class</th><th>label</th><th>score</th></tr>\n");
    for (int i = 0; i < vrt_result_count(r) && i < MAX_ROWS; i++) {
        int index = -1;
        float score = 0;
        vrt_result_class(r, i, &index, &score);
        hb_printf(h, "<tr><td class=n>%d</td><td class=n>%d</td><td>", i + 1, index);
        hb_esc(h, vrt_result_label(r, i));
        hb_printf(h, "</td><td class=n>%.4f</td></tr>\n", score);
    }
}

/* Pixels of detection i's mask (VRT_MAP_INSTANCES value i + 1) inside its box. */
static long mask_pixels(const vrt_result *r, int i, const vrt_box *b) {
    int w = 0, hh = 0;
    size_t stride = 0;
    const uint8_t *m = vrt_result_map(r, VRT_MAP_INSTANCES, &w, &hh, &stride, NULL);
    if (!m) return -1;
    int x0 = b->x1 < 0 ? 0 : (int)b->x1, y0 = b->y1 < 0 ? 0 : (int)b->y1;
    int x1 = b->x2 > (float)w ? w : (int)b->x2 + 1, y1 = b->y2 > (float)hh ? hh : (int)b->y2 + 1;
    if (x1 > w) x1 = w;
    if (y1 > hh) y1 = hh;
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += m[(size_t)y * stride + (size_t)x] == (uint8_t)(i + 1);
    return n;
}

/* One box's optional cells: a cascade's best class, the depth, keypoints, mask. */
static void box_extras(vrt__html_buf *h, const vrt_result *r, int i, const vrt_detection *d, int nk,
                       int masks) {
    int sc = -1;
    float ss = 0;
    if (vrt_result_secondary(r, i, 0, &sc, &ss) == VRT_OK) {
        hb_printf(h, "<td>");
        hb_esc(h, vrt_result_secondary_label(r, i, 0));
        hb_printf(h, " (%d) %.3f</td>", sc, ss);
    } else {
        hb_printf(h, "<td></td>");
    }
    float raw = 0, norm = 0;
    vrt_status od = vrt_result_object_depth(r, i, &raw, &norm);
    if (od == VRT_OK)
        hb_printf(h, "<td class=n>%.3f (raw %.4g)</td>", norm, raw);
    else
        hb_printf(h, "<td>%s</td>", od == VRT_ENOENT ? "no valid pixel" : "");
    if (nk > 0) {
        int vis = 0;
        for (int j = 0; j < nk; j++) {
            float s = 0;
            vis += vrt_result_keypoint(r, i, j, NULL, NULL, &s) == VRT_OK && s >= 0.5f;
        }
        hb_printf(h, "<td class=n>%d/%d</td>", vis, nk);
    }
    if (masks) hb_printf(h, "<td class=n>%ld</td>", mask_pixels(r, i, &d->box));
}

static void boxes_table(vrt__html_buf *h, const vrt_result *r) {
    const int nk = vrt_result_num_keypoints(r),
              masks = vrt_result_map(r, VRT_MAP_INSTANCES, 0, 0, 0, 0) != NULL;
    hb_printf(h,
              "<tr><th>#</th><th>class</th><th>label</th><th>score</th><th>box x1, y1, x2, y2</th>"
              "<th>secondary</th><th>depth</th>%s%s</tr>\n",
              nk > 0 ? "<th>keypoints &ge; 0.5</th>" : "", masks ? "<th>mask px</th>" : "");
    for (int i = 0; i < vrt_result_count(r) && i < MAX_ROWS; i++) {
        vrt_detection d;
        vrt_result_detection(r, i, &d);
        hb_printf(h, "<tr><td class=n>%d</td><td class=n>%d</td><td>", i, d.class_id);
        hb_esc(h, vrt_result_label(r, i));
        hb_printf(h, "</td><td class=n>%.4f</td><td class=n>%.1f, %.1f, %.1f, %.1f</td>", d.score, d.box.x1,
                  d.box.y1, d.box.x2, d.box.y2);
        box_extras(h, r, i, &d, nk, masks);
        hb_printf(h, "</tr>\n");
    }
}

/* Depth stats, or the five most frequent classes of a class map. */
static void dense_table(vrt__html_buf *h, const vrt_result *r) {
    float mn = 0, mx = 0, mean = 0;
    int w = 0, hh = 0;
    size_t stride = 0;
    if (vrt_result_depth_stats(r, &mn, &mx, &mean) == VRT_OK) {
        vrt_result_map(r, VRT_MAP_DEPTH_RAW, &w, &hh, NULL, NULL);
        hb_printf(h, "<tr><th>map</th><th>min</th><th>max</th><th>mean</th></tr>\n");
        hb_printf(
            h,
            "<tr><td>depth %dx%d</td><td class=n>%.4g</td><td class=n>%.4g</td><td class=n>%.4g</td></tr>\n",
            w, hh, mn, mx, mean);
        return;
    }
    const uint8_t *m = vrt_result_map(r, VRT_MAP_CLASSES, &w, &hh, &stride, NULL);
    if (!m) return;
    long count[256] = {0};
    for (int y = 0; y < hh; y++)
        for (int x = 0; x < w; x++)
            count[m[(size_t)y * stride + (size_t)x]]++;
    hb_printf(h, "<tr><th>class (map %dx%d)</th><th>pixels</th><th>share</th></tr>\n", w, hh);
    for (int k = 0; k < 5; k++) {
        int best = 0;
        for (int c = 1; c < 256; c++)
            if (count[c] > count[best]) best = c;
        if (!count[best]) break;
        hb_printf(h, "<tr><td class=n>%d</td><td class=n>%ld</td><td class=n>%.1f%%</td></tr>\n", best,
                  count[best], 100.0 * (double)count[best] / ((double)w * hh));
        count[best] = 0;
    }
}

static void render(vrt__html_buf *h, const vrt_result *r, const char *what) {
    const vrt_result_type kind = vrt_result_kind(r);
    hb_printf(h, "<table class=\"result\" data-kind=\"%s\"><caption>%s: %s, %s", vrt_result_type_name(kind),
              what, vrt_task_name(vrt_result_task(r)), vrt_result_type_name(kind));
    if (kind == VRT_RESULT_DETECTIONS || kind == VRT_RESULT_KEYPOINTS || kind == VRT_RESULT_CLASSES)
        hb_printf(h, " (%d)", vrt_result_count(r));
    hb_printf(h, "</caption>\n");
    if (kind == VRT_RESULT_CLASSES) classes_table(h, r);
    if (kind == VRT_RESULT_DETECTIONS || kind == VRT_RESULT_KEYPOINTS) boxes_table(h, r);
    if (kind == VRT_RESULT_DENSE) dense_table(h, r);
    hb_printf(h, "</table>\n");
}

void vrt__report_render_result(vrt__html_buf *h, const vrt_pipeline_result *pr) {
    h->n = 0;
    h->truncated = 0;
    if (h->cap) h->b[0] = 0;
    h->sequence = pr->sequence;
    h->results++;
    if (!pr->result) return;
    render(h, pr->result, "model");
    const vrt_result *par = vrt_result_parallel(pr->result);
    if (par) render(h, par, "second model (same frame)");
    if (h->truncated && h->cap > RESERVE) /* the reserve holds it */
        h->n += (size_t)snprintf(h->b + h->n, h->cap - h->n, "</table><p>(truncated)</p>\n");
}
