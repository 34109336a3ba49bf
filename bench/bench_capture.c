/*
 * bench_capture - CPU cost of getting frames into the process.
 *
 *   bench_capture [--out FILE.json] [--data DIR] [--seconds S] [--quick]
 *
 * 1. V4L2 path: the real V4L2 source code against the in-process fake device
 *    (tests/lib/fake_v4l2.h) at 640x480, 120 fps, for S seconds per case: CPU
 *    time (getrusage user+sys, all threads) per captured frame, achieved rate,
 *    drops. The fake device writes every frame (a memset of the whole image,
 *    standing in for the camera's DMA); that cost is measured on its own and
 *    reported as device_fill_us so it can be told apart.
 * 2. File path: FFmpeg decode + swscale to 640x480 YUYV, as fast as possible:
 *    CPU per frame and frames/s.
 * 3. Decode throughput of every sample video at its own size and format.
 *
 * Results go to stdout as a table and to bench/results/capture-<date>.json with
 * the CPU model, core count, library versions and git commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "fake_v4l2.h"
#include "vrt/core.h"
#include "vrt/json.h"
#include "vrt/source.h"

#ifndef VRT_SOURCE_DIR
#define VRT_SOURCE_DIR "."
#endif

typedef struct result {
    char name[96];
    char path_kind[16]; /* "v4l2", "file", "decode" */
    char uri[512];
    char format[8];
    uint32_t width, height;
    uint64_t frames, dropped;
    double wall_s, cpu_s;
    double cpu_us_per_frame, fps;
    double device_fill_us; /* fake device's own work per frame (v4l2 only), else 0 */
} result;

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Reads frames until max_frames, max_seconds or the end. Returns 0 or -1 (message printed). */
static int run_source(const char *uri, const vrt_source_params *p, double max_seconds, uint64_t max_frames,
                      result *r) {
    char err[512];
    vrt_source_t *s = NULL;
    if (vrt_source_open(&s, uri, p, err, sizeof(err)) != VRT_OK) {
        fprintf(stderr, "bench_capture: %s\n", err);
        return -1;
    }
    if (vrt_source_start(s) != VRT_OK) {
        fprintf(stderr, "bench_capture: %s: %s\n", uri, vrt_source_last_error(s));
        vrt_source_destroy(&s);
        return -1;
    }
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    char fcc[8];
    snprintf(r->format, sizeof(r->format), "%s", vrt_fourcc_name(info.fourcc, fcc));
    r->width = info.width;
    r->height = info.height;
    snprintf(r->uri, sizeof(r->uri), "%s", uri);
    double c0 = cpu_seconds();
    int64_t t0 = vrt_now_ns(), end = t0 + (int64_t)(max_seconds * 1e9);
    int rc = 0;
    for (;;) {
        if (max_frames && r->frames >= max_frames) break;
        if (vrt_now_ns() >= end) break;
        vrt_frame *f = NULL;
        vrt_status st = vrt_source_read(s, &f, 200);
        if (st == VRT_OK) {
            r->frames++;
            vrt_frame_unref(&f);
        } else if (st == VRT_EOF) {
            break;
        } else if (st != VRT_EAGAIN) {
            fprintf(stderr, "bench_capture: %s: %s\n", uri, vrt_source_last_error(s));
            rc = -1;
            break;
        }
    }
    r->wall_s = (double)(vrt_now_ns() - t0) / 1e9;
    r->cpu_s = cpu_seconds() - c0;
    vrt_source_stats st;
    vrt_source_get_stats(s, &st);
    r->dropped = st.dropped;
    vrt_source_destroy(&s);
    r->cpu_us_per_frame = r->frames ? r->cpu_s * 1e6 / (double)r->frames : 0;
    r->fps = r->wall_s > 0 ? (double)r->frames / r->wall_s : 0;
    return rc;
}

/* CPU microseconds the fake device spends writing one frame of n bytes (a memset). */
static double fill_cost_us(size_t n) {
    uint8_t *buf = malloc(n);
    if (!buf) return 0;
    const int reps = 400;
    double c0 = cpu_seconds();
    for (int i = 0; i < reps; i++) {
        memset(buf, 16 + i % 200, n);
        __asm__ __volatile__("" : : "r"(buf) : "memory");
    }
    double us = (cpu_seconds() - c0) * 1e6 / reps;
    free(buf);
    return us;
}

static int bench_v4l2(const char *name, const char *fmt, vrt_capture_mode mode, double seconds, result *r) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    vrt_fake_v4l2_config c;
    vrt_fake_v4l2_default_config(&c, "/dev/video0");
    c.num_formats = 1;
    c.formats[0] = vrt_fourcc_parse(fmt);
    c.num_sizes = 1;
    c.sizes[0][0] = 640;
    c.sizes[0][1] = 480;
    c.num_rates = 1;
    c.rates[0] = 120;
    if (!k || vrt_fake_v4l2_add(k, &c) != 0) {
        fprintf(stderr, "bench_capture: cannot set up the fake device\n");
        vrt_fake_v4l2_destroy(&k);
        return -1;
    }
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    p.mode = mode;
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->path_kind, sizeof(r->path_kind), "v4l2");
    int rc = run_source("v4l2:/dev/video0", &p, seconds, 0, r);
    r->device_fill_us = strcmp(fmt, "MJPG") ? fill_cost_us((size_t)640 * 480 * 2) : 0;
    vrt_fake_v4l2_destroy(&k);
    return rc;
}

static int bench_file(const char *name, const char *kind, const char *uri, uint64_t max_frames, result *r) {
    vrt_source_params p;
    vrt_source_default_params(&p);
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->path_kind, sizeof(r->path_kind), "%s", kind);
    return run_source(uri, &p, 120, max_frames, r);
}

/* ---- environment -------------------------------------------------------------- */

static void cpu_model(char *buf, size_t cap) {
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ' || *c == '\t')
                    c++;
                c[strcspn(c, "\n")] = 0;
                snprintf(buf, cap, "%s", c);
            }
            break;
        }
    }
    fclose(f);
}

static void run_cmd(const char *cmd, char *buf, size_t cap) {
    buf[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (!fgets(buf, (int)cap, p)) buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    pclose(p);
}

static void av_ver(unsigned v, char *buf, size_t cap) {
    snprintf(buf, cap, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

#define STR2(x) #x
#define STR(x) STR2(x)

static void write_json(FILE *f, const result *rs, int n, double seconds) {
    char cpu[256], commit[64], dirty[8], date[32], v[32];
    struct utsname un;
    uname(&un);
    cpu_model(cpu, sizeof(cpu));
    run_cmd("git -C '" VRT_SOURCE_DIR "' rev-parse HEAD 2>/dev/null", commit, sizeof(commit));
    run_cmd("git -C '" VRT_SOURCE_DIR
            "' status --porcelain --untracked-files=no 2>/dev/null | head -1 | wc -l",
            dirty, sizeof(dirty));
    time_t now = time(NULL);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));

    vrt_json w;
    vrt_json_init_file(&w, f);
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "benchmark", "capture");
    vrt_json_kv_string(&w, "date", date);
    vrt_json_kv_string(&w, "git_commit", commit[0] ? commit : "unknown");
    vrt_json_kv_bool(&w, "git_dirty", atoi(dirty) > 0);
    vrt_json_key(&w, "host");
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "cpu_model", cpu);
    vrt_json_kv_int(&w, "cores", sysconf(_SC_NPROCESSORS_ONLN));
    vrt_json_kv_string(&w, "kernel", un.release);
    vrt_json_kv_string(&w, "machine", un.machine);
    vrt_json_end_object(&w);
    vrt_json_key(&w, "versions");
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "visionrt", vrt_version());
    vrt_json_kv_string(&w, "build", vrt_build_info());
    av_ver(avcodec_version(), v, sizeof(v));
    vrt_json_kv_string(&w, "libavcodec", v);
    av_ver(avformat_version(), v, sizeof(v));
    vrt_json_kv_string(&w, "libavformat", v);
    av_ver(swscale_version(), v, sizeof(v));
    vrt_json_kv_string(&w, "libswscale", v);
#ifdef LIBJPEG_TURBO_VERSION
    vrt_json_kv_string(&w, "libjpeg_turbo", STR(LIBJPEG_TURBO_VERSION));
#endif
    vrt_json_kv_int(&w, "libjpeg_api", JPEG_LIB_VERSION);
    vrt_json_kv_string(&w, "compiler", __VERSION__);
    vrt_json_end_object(&w);
    vrt_json_kv_double(&w, "v4l2_seconds_per_case", seconds);
    vrt_json_kv_string(&w, "cpu_time", "getrusage(RUSAGE_SELF) user+sys of all threads, per frame delivered");
    vrt_json_key(&w, "results");
    vrt_json_begin_array(&w);
    for (int i = 0; i < n; i++) {
        const result *r = &rs[i];
        vrt_json_begin_object(&w);
        vrt_json_kv_string(&w, "name", r->name);
        vrt_json_kv_string(&w, "path", r->path_kind);
        vrt_json_kv_string(&w, "uri", r->uri);
        vrt_json_kv_string(&w, "format", r->format);
        vrt_json_kv_uint(&w, "width", r->width);
        vrt_json_kv_uint(&w, "height", r->height);
        vrt_json_kv_uint(&w, "frames", r->frames);
        vrt_json_kv_uint(&w, "dropped", r->dropped);
        vrt_json_kv_double(&w, "wall_s", r->wall_s);
        vrt_json_kv_double(&w, "cpu_s", r->cpu_s);
        vrt_json_kv_double(&w, "cpu_us_per_frame", r->cpu_us_per_frame);
        vrt_json_kv_double(&w, "fps", r->fps);
        if (!strcmp(r->path_kind, "v4l2")) {
            vrt_json_kv_double(&w, "device_fill_us", r->device_fill_us);
            vrt_json_kv_double(&w, "cpu_us_per_frame_without_fill", r->cpu_us_per_frame - r->device_fill_us);
        }
        vrt_json_end_object(&w);
    }
    vrt_json_end_array(&w);
    vrt_json_end_object(&w);
    vrt_json_newline(&w);
    if (vrt_json_finish(&w) != VRT_OK) fprintf(stderr, "bench_capture: JSON: %s\n", vrt_json_error(&w));
}

int main(int argc, char **argv) {
    const char *out = NULL, *data = getenv("VRT_DATA");
    double seconds = 3;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else {
            fprintf(stderr, "usage: bench_capture [--out FILE.json] [--data DIR] [--seconds S] [--quick]\n");
            return 2;
        }
    }
    if (!data || !*data) data = VRT_SOURCE_DIR "/../shared/data";
    if (quick) seconds = 1;
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);

    result rs[32];
    int n = 0, failed = 0;
    failed |=
        bench_v4l2("v4l2 fake 640x480 YUYV 120fps mmap newest", "YUYV", VRT_MODE_NEWEST, seconds, &rs[n++]);
    failed |= bench_v4l2("v4l2 fake 640x480 YUYV 120fps mmap all", "YUYV", VRT_MODE_ALL, seconds, &rs[n++]);
    failed |=
        bench_v4l2("v4l2 fake 640x480 MJPG 120fps mmap newest", "MJPG", VRT_MODE_NEWEST, seconds, &rs[n++]);

    static const char *const videos[] = {"people.mp4", "traffic.mp4", "one-by-one-person-detection.mp4"};
    char uri[1024];
    uint64_t cap = quick ? 100 : 0;
    char vpath[1024];
    snprintf(vpath, sizeof(vpath), "%s/video/people.mp4", data);
    if (access(vpath, R_OK) == 0) {
        snprintf(uri, sizeof(uri), "file:%s?width=640&height=480&format=YUYV", vpath);
        failed |= bench_file("file people.mp4 -> 640x480 YUYV", "file", uri, cap, &rs[n++]);
    } else {
        fprintf(stderr, "bench_capture: %s missing: file cases skipped (set VRT_DATA)\n", vpath);
    }
    snprintf(vpath, sizeof(vpath), "%s/video/traffic.mp4", data);
    if (access(vpath, R_OK) == 0) {
        snprintf(uri, sizeof(uri), "file:%s?format=YUYV", vpath);
        failed |= bench_file("file traffic.mp4 640x360 YUYV", "file", uri, cap, &rs[n++]);
    }
    for (int i = 0; i < 3; i++) {
        char path[1024], name[96];
        snprintf(path, sizeof(path), "%s/video/%s", data, videos[i]);
        if (access(path, R_OK) != 0) continue;
        snprintf(uri, sizeof(uri), "file:%s", path);
        snprintf(name, sizeof(name), "decode %s (native size and format)", videos[i]);
        failed |= bench_file(name, "decode", uri, cap, &rs[n++]);
    }

    printf("%-48s %-6s %-10s %8s %9s %10s %8s\n", "case", "format", "size", "frames", "fps", "cpu us/fr",
           "dropped");
    for (int i = 0; i < n; i++) {
        char sz[32];
        snprintf(sz, sizeof(sz), "%ux%u", rs[i].width, rs[i].height);
        printf("%-48s %-6s %-10s %8llu %9.1f %10.1f %8llu\n", rs[i].name, rs[i].format, sz,
               (unsigned long long)rs[i].frames, rs[i].fps, rs[i].cpu_us_per_frame,
               (unsigned long long)rs[i].dropped);
        if (rs[i].device_fill_us > 0)
            printf("%-48s %39s %10.1f  (fake device memset of the frame, included above)\n", "", "",
                   rs[i].device_fill_us);
    }

    char path[1024];
    if (!out) {
        char date[16];
        time_t now = time(NULL);
        strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
        snprintf(path, sizeof(path), "%s/bench/results/capture-%s.json", VRT_SOURCE_DIR, date);
        out = path;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    write_json(f, rs, n, seconds);
    fclose(f);
    printf("wrote %s\n", out);
    return failed ? 1 : 0;
}
