/* bench_pipeline: our side of bench/pipeline/bench_pipeline.py. Feeds raw
 * BGR24 frames (decoded from the video beforehand by the script, so decode
 * is excluded here as it is from the script's per-frame latencies) through
 * the session API (vrt/session.h): copy into a page-locked slot, one CUDA
 * graph replay (upload, pre-processing, model, top-5), result on the host.
 *
 *   bench_pipeline MODEL PROFILE FRAMES.bgr W H N BACKEND FPS
 *
 * FPS 0: as fast as possible (latency of frame i: host frame ready -> top-5
 * on the host, measured per frame, one at a time); FPS > 0: paced, frame i
 * is released at t0 + i / FPS and its latency runs from that release.
 * Prints one JSON object: {"lat_ms": [...], "top1": [...], "total_s": ...}. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vrt/session.h"

static void sleep_until(int64_t t) {
    for (;;) {
        int64_t now = vrt_now_ns();
        if (now >= t) return;
        int64_t d = t - now;
        if (d > 200000) {
            struct timespec ts = {0, (long)(d - 100000)};
            nanosleep(&ts, NULL);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s MODEL PROFILE FRAMES.bgr W H N BACKEND FPS\n", argv[0]);
        return 2;
    }
    uint32_t w = (uint32_t)atoi(argv[4]), h = (uint32_t)atoi(argv[5]);
    int n = atoi(argv[6]);
    double fps = atof(argv[8]);
    size_t fb = (size_t)w * h * 3;
    uint8_t *all = malloc(fb * (size_t)n);
    FILE *fp = fopen(argv[3], "rb");
    if (!all || !fp || fread(all, fb, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "cannot read %d frames of %ux%u BGR24 from %s\n", n, w, h, argv[3]);
        return 1;
    }
    fclose(fp);
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = argv[7];
    p.fourcc = VRT_FMT_BGR24;
    p.width = w;
    p.height = h;
    p.slots = 2;
    p.timings = 0; /* no stage events: the fastest path */
    vrt_session_t *s = NULL;
    char err[512];
    if (vrt_session_open(argv[1], argv[2], NULL, &p, &s, err, sizeof(err))) {
        fprintf(stderr, "session: %s\n", err);
        return 1;
    }
    vrt_frame f;
    vrt_session_slot_frame(s, 0, &f);
    const vrt_result *r = NULL;
    /* Warm-up on the first frames (the session already ran every slot once at open). */
    for (int i = 0; i < 20; i++) {
        f.planes[0].data = all + fb * (size_t)(i % n);
        if (vrt_session_run(s, &f, &r)) {
            fprintf(stderr, "run: %s\n", vrt_session_last_error(s));
            return 1;
        }
    }
    double *lat = malloc(sizeof(double) * (size_t)n);
    int *top1 = malloc(sizeof(int) * (size_t)n);
    int64_t t0 = vrt_now_ns() + 10000000;
    for (int i = 0; i < n; i++) {
        int64_t rel = fps > 0 ? t0 + (int64_t)(i * 1e9 / fps) : vrt_now_ns();
        if (fps > 0) sleep_until(rel);
        f.planes[0].data = all + fb * (size_t)i;
        f.sequence = (uint64_t)i;
        if (vrt_session_run(s, &f, &r)) {
            fprintf(stderr, "run: %s\n", vrt_session_last_error(s));
            return 1;
        }
        lat[i] = (double)(vrt_now_ns() - rel) / 1e6;
        top1[i] = -1;
        vrt_result_class(r, 0, &top1[i], NULL);
    }
    double total = (double)(vrt_now_ns() - (fps > 0 ? t0 : t0 - 10000000)) / 1e9;
    vrt_session_info info;
    vrt_session_get_info(s, &info);
    printf("{\"graphs\": %d, \"total_s\": %.6f, \"lat_ms\": [", info.graphs, total);
    for (int i = 0; i < n; i++)
        printf("%s%.5f", i ? "," : "", lat[i]);
    printf("], \"top1\": [");
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", top1[i]);
    printf("]}\n");
    vrt_session_destroy(&s);
    free(all);
    free(lat);
    free(top1);
    return 0;
}
