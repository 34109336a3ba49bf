/*
 * vrt/sink.h - where a pipeline's results go: outputs behind one interface.
 *
 * A sink is added to a pipeline by URI, before start:
 *   jsonl:PATH | jsonl:-     one JSON line per result, then a summary line (README "vrt run --json")
 *   report:PATH.html         a self-contained HTML report written after the run
 *   PATH.jsonl, PATH.json, PATH.html, "-"   the same, picked by the extension ("-": JSON lines on stdout)
 *   display://0[?stream=K]   a window (SDL2): the newest frame of every stream as a grid of tiles
 *                            (or of stream K), fps in the title; q, Esc or closing it asks the run
 *                            to stop (vrt_pipeline_request_stop)
 *   http://ADDR:PORT         a web viewer (libmicrohttpd): / page with every stream live,
 *                            /stream/N (MJPEG of stream N; /stream.mjpg: stream 0), /stats (JSON),
 *                            /metrics (Prometheus text); port 0: any free
 *   mqtt://HOST[:PORT]/TOPIC[?qos=0|1]   each result one JSON message (libmosquitto)
 *   out.mp4, out.mkv, out.avi  annotated video (vrt/writer.h: H.264 or MJPEG, frame time stamps)
 *   out.jpg, out.png, dir/, frames/%06d.jpg   annotated images (one replaced file, a folder,
 *                            numbered files); files and video show stream 0, drawn with
 *                            vrt_sink_params.overlay (vrt/overlay.h)
 * Unknown schemes are an error that lists the known ones. Adding a sink is one
 * file under src/sink/ plus one row in the table of src/sink/sink.c (recipe:
 * src/sink/README.md).
 *
 * Lifecycle: vrt_sink_add (opens the file now, so a bad path fails before the
 * run) -> vrt_pipeline_start -> ... -> vrt_pipeline_stop ->
 * vrt_pipeline_finish (each sink writes its final part with the run's final
 * statistics: the summary line, the report) -> vrt_pipeline_destroy (closes
 * and frees every sink).
 *
 * Threading: each sink runs on its own thread behind a newest-result
 * hand-off (vrt/pipeline.h "outputs"): a slow sink never delays the frame
 * path; when it falls behind, the oldest waiting results are dropped and
 * counted per sink (vrt_pipeline_get_output_stats, and "sinks" in the JSON
 * summary). Ownership: the pipeline owns a sink once added (also when adding
 * fails). Nothing here allocates per result.
 */
#ifndef VRT_SINK_H
#define VRT_SINK_H

#include "vrt/export.h"
#include "vrt/json.h"
#include "vrt/overlay.h"
#include "vrt/pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt_sink_params {
    const char *title;        /* report: page title (copied); NULL: "vrt run report" */
    const char *command_line; /* report: shown in the configuration table (copied); may be NULL */
    int depth;                /* results that may wait for the sink; 0: the sink's default */
    /* Pictures (files, video): what is drawn (vrt/overlay.h); NULL: box, labels, conf and the HUD. */
    const vrt_overlay_params *overlay;
    const char
        *listen; /* web viewer: address to bind instead of the URI's host (e.g. "0.0.0.0"); NULL: the URI's */
} vrt_sink_params;

VRT_API void vrt_sink_default_params(vrt_sink_params *p);

/* 1 when the sink for scheme ("display", "http", "mqtt", "jsonl", ...) is built into this library
 * (its optional dependency was found), else 0. */
VRT_API int vrt_sink_available(const char *scheme);

/* Opens the sink named by uri and adds it to p (before start). sp may be NULL. On failure err names
 * the URI and what would work. */
VRT_API vrt_status vrt_sink_add(vrt_pipeline_t *p, const char *uri, const vrt_sink_params *sp, char *err,
                                size_t cap);

/* ---- formatting helpers (the sinks use them; also for callers of their own) --- */

/* One JSON line describing a result (no trailing newline; call vrt_json_newline).
 * Schema: README "vrt run --json". */
VRT_API vrt_status vrt_sink_json_result(const vrt_pipeline_t *p, const vrt_pipeline_result *r, vrt_json *w);
/* The summary object after stop: {"type":"summary", "streams":[...], "sinks":[...], ...}. */
VRT_API vrt_status vrt_sink_json_summary(vrt_pipeline_t *p, const char *stopped_by, vrt_json *w);
/* Writes a self-contained HTML report (inline SVG, no network) after stop:
 * configuration and hardware, per-stream summary tables, latency
 * distribution per stage, latency over time, drops over time. title may be NULL. */
VRT_API vrt_status vrt_sink_write_report(vrt_pipeline_t *p, const char *path, const char *title,
                                         const char *command_line, char *err, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
