/* sink-impl.h - private: the table every sink fills in (one row per sink in
 * sink.c). A sink is a vrt_pipeline_output (vrt/pipeline.h) made from a
 * URI; the pipeline runs it on its own thread behind a newest-result
 * hand-off. */
#ifndef VRT_SINK_IMPL_H
#define VRT_SINK_IMPL_H

#include <stdio.h>

#include "vrt/sink.h"

typedef struct vrt__sink_kind {
    const char *scheme;     /* "jsonl": matches "jsonl:PATH" */
    const char *extensions; /* ".jsonl .json": plain paths ending so pick this sink; may be "" */
    const char *example;    /* for the error that lists the sinks, e.g. "jsonl:PATH|-" */
    int available;          /* 0: its library was not found at build time (open says how to get it) */
    /* Fills o (name, depth, want_frame, ctx and the callbacks) for path (the URI after "scheme:",
     * or the whole URI for a scheme written "http://..."). p is the pipeline the sink is added to
     * (a sink may keep it: statistics for a web page, vrt_pipeline_request_stop for a window). On
     * failure nothing is left to release and err names the path and what would work. */
    vrt_status (*open)(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path, const vrt_sink_params *sp,
                       char *err, size_t cap);
} vrt__sink_kind;

extern const vrt__sink_kind vrt__sink_jsonl;
extern const vrt__sink_kind vrt__sink_report;
extern const vrt__sink_kind vrt__sink_files; /* annotated images and video (files.c) */
extern const vrt__sink_kind vrt__sink_display;
extern const vrt__sink_kind vrt__sink_http;
extern const vrt__sink_kind vrt__sink_mqtt;

/* A sink whose library was not found at build time: its open explains how to get it. */
vrt_status vrt__sink_missing(const char *uri, const char *what, const char *package, char *err, size_t cap);

/* An output file that replaces an old one only when complete (outfile.c):
 * open writes to a temporary file next to path (or to path itself when it
 * exists and is not a regular file: /dev/stdout, a FIFO); commit flushes,
 * closes and renames it over path, reporting any write error (a full disk);
 * abandon removes the temporary file, leaving the old path untouched. */
typedef struct vrt__outfile {
    FILE *f;
    char path[1024];
    char tmp[1100]; /* "" when writing path directly */
} vrt__outfile;

vrt_status vrt__outfile_open(vrt__outfile *o, const char *path, char *err, size_t cap);
vrt_status vrt__outfile_commit(vrt__outfile *o, char *err, size_t cap);
void vrt__outfile_abandon(vrt__outfile *o);

/* The HTML report's results section (report_results.c): the last result of
 * one stream as HTML tables, rendered into b (cap bytes, allocated at open). */
typedef struct vrt__html_buf {
    char *b;
    size_t cap, n;
    int truncated;
    uint64_t sequence; /* the rendered result's frame */
    uint64_t results;  /* results rendered */
} vrt__html_buf;
void vrt__report_render_result(vrt__html_buf *h, const vrt_pipeline_result *r);

#endif
