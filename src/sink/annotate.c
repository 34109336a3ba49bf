/* annotate.c - see annotate.h. The HUD's numbers come from the results this
 * sink got (their times and drop counts), so no statistics are read across
 * threads: fps over the results seen, e2e (exposure -> done) p50/p99 from a
 * histogram kept here, drops summed from dropped_before. */
#include "annotate.h"

#include <string.h>

#include "vrt/image.h"

vrt_status vrt__annotator_init(vrt__annotator *a, const vrt_overlay_params *op, char *err, size_t cap) {
    memset(a, 0, sizeof(*a));
    vrt_overlay_params dp;
    if (!op) {
        vrt_overlay_default_params(&dp);
        dp.flags |= VRT_OVERLAY_HUD;
        op = &dp;
    }
    vrt_hist_init(&a->e2e);
    a->params = *op;
    return vrt_overlay_create(&a->ov, op, err, cap);
}

static void hud_update(vrt__annotator *a, const vrt_pipeline_result *r) {
    if (!a->results) a->first_ns = r->t.launch_ns;
    a->results++;
    a->drops += r->dropped_before;
    vrt_hist_record(&a->e2e, r->t.done_ns - r->t.exposure_ns);
    double span = (double)(r->t.launch_ns - a->first_ns) / 1e9;
    a->info.hud = 1;
    a->info.fps = a->results > 1 && span > 0 ? (double)(a->results - 1) / span : 0;
    /* The quantiles every 8 results: a summary walks the buckets. */
    if (a->results % 8 == 1) {
        a->info.e2e_p50_ms = (double)vrt_hist_percentile(&a->e2e, 50.0) / 1e6;
        a->info.e2e_p99_ms = (double)vrt_hist_percentile(&a->e2e, 99.0) / 1e6;
    }
    a->info.drops = a->drops;
}

vrt_status vrt__annotate(vrt__annotator *a, const vrt_pipeline_result *r, vrt_frame **out, char *err,
                         size_t cap) {
    *out = NULL;
    if (!r->frame) return VRT_EAGAIN;
    const vrt_frame *f = r->frame;
    if (r->annotated) { /* drawn on the GPU on the frame path: only shown or encoded here */
        *out = (vrt_frame *)f;
        return VRT_OK;
    }
    if (a->rgb && (a->rgb->width != f->width || a->rgb->height != f->height)) vrt_frame_unref(&a->rgb);
    vrt_status st = a->rgb ? VRT_OK : vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &a->rgb);
    if (st) {
        vrt_errbuf_set(err, cap, "no memory for a %ux%u picture", f->width, f->height);
        return st;
    }
    hud_update(a, r);
    st = vrt_overlay_render(a->ov, f, a->rgb, r->result, &a->info, err, cap);
    if (st) return st;
    a->rgb->timestamp_ns = f->timestamp_ns;
    a->rgb->sequence = f->sequence;
    *out = a->rgb;
    return VRT_OK;
}

void vrt__annotator_free(vrt__annotator *a) {
    vrt_overlay_destroy(&a->ov);
    vrt_frame_unref(&a->rgb);
}
