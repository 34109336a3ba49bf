/* bench_session_run.c - the C side of bench/python/bench_overhead.py: vrt_session_run on one RGB24
 * frame in a loop, the call that visionrt.Session.run wraps; prints the mean ns per call of each
 * round as JSON. Links the shared libvrt.so, as the Python extension does.
 *   bench_session_run MODEL PROFILE WIDTH HEIGHT BACKEND ITERS ROUNDS THREADS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/core.h"
#include "vrt/session.h"

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s MODEL PROFILE WIDTH HEIGHT BACKEND ITERS ROUNDS THREADS\n", argv[0]);
        return 2;
    }
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = argv[5];
    p.fourcc = VRT_FMT_RGB24;
    p.width = (uint32_t)atoi(argv[3]);
    p.height = (uint32_t)atoi(argv[4]);
    p.threads = atoi(argv[8]);
    int iters = atoi(argv[6]), rounds = atoi(argv[7]);
    char err[1024];
    vrt_session_t *s = NULL;
    if (vrt_session_open(argv[1], argv[2], NULL, &p, &s, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    size_t n = vrt_frame_size_for(p.fourcc, p.width, p.height);
    uint8_t *buf = calloc(1, n);
    vrt_frame f;
    memset(&f, 0, sizeof f);
    vrt_frame_layout(&f, p.fourcc, p.width, p.height, buf);
    f.bytesused = n;
    const vrt_result *r;
    for (int i = 0; i < iters / 10 + 1; i++)
        vrt_session_run(s, &f, &r); /* warm-up */
    printf("{\"ns_per_call\": [");
    for (int k = 0; k < rounds; k++) {
        int64_t t0 = vrt_now_ns();
        for (int i = 0; i < iters; i++) {
            if (vrt_session_run(s, &f, &r)) {
                fprintf(stderr, "%s\n", vrt_session_last_error(s));
                return 1;
            }
        }
        printf("%s%.1f", k ? ", " : "", (double)(vrt_now_ns() - t0) / iters);
    }
    printf("]}\n");
    vrt_session_destroy(&s);
    free(buf);
    return 0;
}
