/* annotate.h - private: a pipeline result drawn on its frame (vrt/overlay.h)
 * with the HUD line kept from the results themselves, for every sink that
 * shows pictures (files and video here; a window or a web viewer can use it
 * the same way). Runs on the sink's own thread. */
#ifndef VRT_SINK_ANNOTATE_H
#define VRT_SINK_ANNOTATE_H

#include "vrt/hist.h"
#include "vrt/overlay.h"
#include "vrt/pipeline.h"

typedef struct vrt__annotator {
    vrt_overlay_t *ov;
    vrt_overlay_params params; /* what ov draws: the output's `overlay`, so the GPU may draw it instead */
    vrt_frame *rgb;            /* the picture, sized at the first frame */
    vrt_hist e2e;              /* exposure -> done of the results seen */
    int64_t first_ns;          /* launch of the first result seen, for the fps */
    uint64_t results, drops;
    vrt_overlay_info info;
} vrt__annotator;

/* op NULL: the defaults with the HUD. */
vrt_status vrt__annotator_init(vrt__annotator *a, const vrt_overlay_params *op, char *err, size_t cap);
/* r->frame drawn with r's result and the HUD into a->rgb (returned in *out, valid until the
 * next call; its timestamp_ns is the frame's). A picture the pipeline already drew on the GPU
 * (r->annotated) is returned as it is. VRT_EAGAIN when r has no frame. */
vrt_status vrt__annotate(vrt__annotator *a, const vrt_pipeline_result *r, vrt_frame **out, char *err,
                         size_t cap);
void vrt__annotator_free(vrt__annotator *a);

#endif
