/* files.c - the annotated images and video sink: every result of stream 0
 * drawn on its frame (annotate.c: overlay + HUD) and written through
 * vrt/writer.h (out.jpg, dir/, frames/%06d.jpg, out.mp4/.mkv/.avi). The
 * writer is opened at add time, so a bad path fails before the run; the video
 * trailer is written at finish (also after Ctrl-C: vrt run stops, then
 * finishes). Encoding runs on this sink's thread, never on the frame path. */
#include "annotate.h"
#include "sink-impl.h"

#include <stdio.h>
#include <string.h>

#include "vrt/writer.h"

/* A video should miss no frame in a short stall; one image file only wants the newest. */
#define FILES_VIDEO_DEPTH 8
#define FILES_IMAGES_DEPTH 4

typedef struct files_sink {
    char name[80];
    vrt_writer_t *w;
    vrt__annotator a;
    uint64_t failed, other_streams;
    char error[256];
} files_sink;

static void files_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    files_sink *s = ctx;
    if (r->stream != 0) { /* one picture sequence per file: the first stream's */
        s->other_streams++;
        return;
    }
    vrt_frame *pic = NULL;
    char err[256];
    vrt_status st = vrt__annotate(&s->a, r, &pic, err, sizeof(err));
    if (!st) st = vrt_writer_write(s->w, pic, NULL, NULL, 0, err, sizeof(err));
    if (st && st != VRT_EAGAIN) {
        if (!s->failed) snprintf(s->error, sizeof(s->error), "%s", err);
        s->failed++;
    }
}

static void files_stats(void *ctx, vrt_pipeline_output_stats *st) {
    files_sink *s = ctx;
    st->lost = s->failed;
    if (s->failed)
        snprintf(st->detail, sizeof(st->detail), "%llu not written: %s", (unsigned long long)s->failed,
                 s->error);
    else
        snprintf(st->detail, sizeof(st->detail), "%llu frames (%s)",
                 (unsigned long long)vrt_writer_frames(s->w), vrt_writer_codec(s->w));
}

static vrt_status files_finish(void *ctx, vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap) {
    (void)p, (void)stopped_by;
    files_sink *s = ctx;
    vrt_status st = vrt_writer_close(&s->w, err, cap);
    if (!st && s->failed) {
        vrt_errbuf_set(err, cap, "%s: %llu frames not written: %s", s->name, (unsigned long long)s->failed,
                       s->error);
        st = VRT_EIO;
    }
    return st;
}

static void files_destroy(void *ctx) {
    files_sink *s = ctx;
    vrt_writer_close(&s->w, NULL, 0);
    vrt__annotator_free(&s->a);
    vrt_free(s);
}

static vrt_status files_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                             const vrt_sink_params *sp, char *err, size_t cap) {
    (void)p;
    files_sink *s = vrt_calloc(1, sizeof(*s));
    if (!s) return VRT_ENOMEM;
    vrt_status st = vrt_writer_open(&s->w, path, NULL, err, cap);
    if (!st) st = vrt__annotator_init(&s->a, sp->overlay, err, cap);
    if (st) {
        files_destroy(s);
        return st;
    }
    snprintf(s->name, sizeof(s->name), "%s", path);
    o->name = s->name;
    o->depth = vrt_writer_get_kind(s->w) == VRT_WRITER_VIDEO ? FILES_VIDEO_DEPTH : FILES_IMAGES_DEPTH;
    o->want_frame = 1;
    o->overlay = &s->a.params; /* the CUDA pipeline then draws it on the GPU */
    o->ctx = s;
    o->write = files_write;
    o->stats = files_stats;
    o->finish = files_finish;
    o->destroy = files_destroy;
    return VRT_OK;
}

const vrt__sink_kind vrt__sink_files = {
    .scheme = "files",
    .extensions = ".jpg .jpeg .png .ppm .mp4 .mkv .avi .mov",
    .example = "out.mp4|out.jpg|dir/|frames/%06d.jpg",
    .available = 1,
    .open = files_open,
};
