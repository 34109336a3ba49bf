/*
 * vrt capture - read frames from any source, optionally save them, and print
 * frame statistics (rate, frame interval and frame age percentiles, drops).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "vrt/hist.h"
#include "vrt/image.h"
#include "vrt/json.h"
#include "vrt/source.h"
#include "vrt/writer.h"

void cli_sources_help(FILE *f) {
    fputs("SOURCE forms (a URI or a plain path; ?key=value options override the command's):\n"
          "  /dev/videoN                     a V4L2 camera (same as v4l2:/dev/videoN)\n"
          "  v4l2:/dev/video0?width=1280&height=720&fps=30&format=MJPG&buffers=4&mode=all\n"
          "                                  keys: width height fps format buffers mode(newest|all)\n"
          "                                  reconnect(0|1) io(mmap|userptr)\n"
          "  PATH or file:PATH               a video file (mp4, mkv, avi, ...) decoded with FFmpeg\n"
          "  file:clip.mp4?pace=native&loop=1&width=640&height=480&format=YUYV\n"
          "                                  keys: pace(native|none) loop start threads format\n"
          "                                  width height fps decode\n"
          "  clip.h264, clip.h265 (.264 .265 .hevc)\n"
          "                                  a raw H.264/HEVC stream (Annex-B); keys: decode pace loop\n"
          "                                  fps device\n"
          "  decode=auto|nvdec|cpu           H.264/HEVC in raw streams, files and network streams:\n"
          "                                  auto (default) decodes on the GPU (NVDEC, NV12 frames)\n"
          "                                  where the driver's libnvcuvid.so.1 and a GPU are there,\n"
          "                                  else (and for other codecs) with FFmpeg; vrt run\n"
          "                                  --backend cpu decodes with FFmpeg. NVDEC takes device=N\n"
          "  rtsp://HOST/PATH#timeout=3      a network stream (also http(s)://, rtmp://, udp://,\n"
          "                                  srt://); our keys go after '#': the file keys and\n"
          "                                  rtsp_transport timeout low_latency\n"
          "  image:PATH                      a JPEG/PNG file, a folder of them, or a glob\n"
          "  'image:photos/*.jpg?fps=10&loop=1'\n"
          "                                  keys: fps loop format buffers\n"
          "  synthetic:                      a moving test pattern with the frame number in its\n"
          "                                  pixels; needs no hardware (default 640x480 YUYV, 30 fps)\n"
          "  'synthetic:?width=1280&height=720&fps=60&format=RGB24&frames=300'\n"
          "                                  keys: width height fps format mode frames buffers\n"
          "formats: YUYV UYVY NV12 RGB24 BGR24 GREY MJPEG (MJPG)\n",
          f);
}

void cmd_capture_help(FILE *f) {
    fputs("usage: vrt capture [SOURCE] [options]\n\n"
          "Reads frames from SOURCE, optionally saves them, and prints frame statistics:\n"
          "frames, duration, rate, frame interval p50/p99, drops, errors, and the frame age\n"
          "at dequeue (driver timestamp -> hand-over) p50/p99 when the source has driver\n"
          "timestamps. Without SOURCE it uses " CLI_DEFAULT_DEVICE
          " if that opens, else " CLI_DEFAULT_FALLBACK
          ",\nand says which. Ctrl-C (SIGINT) or SIGTERM stops it cleanly, "
          "with the summary.\n\n"
          "options:\n"
          "  -n, --frames N          stop after N frames (default: no limit)\n"
          "  -d, --duration S        stop after S seconds (default: no limit; with --frames,\n"
          "                          whichever comes first)\n"
          "  -o, --out DIR|FILE      save frames: DIR/frame_000000.png, ... (DIR is created);\n"
          "                          frames/%06d.jpg: numbered files; out.jpg/.png: one image\n"
          "                          (the last frame); out.mp4/.mkv/.avi: a video (H.264, time\n"
          "                          stamps from the frames; Ctrl-C still writes the trailer);\n"
          "                          FILE ending in .raw, .yuv or .bin gets every raw frame\n"
          "                          appended (rows without stride padding; JPEG data for MJPEG)\n"
          "      --image-format FMT  png or jpg for --out DIR (default: png)\n"
          "      --quality Q         JPEG quality 1..100 (default: 90)\n"
          "      --raw               save DIR/frame_000000.raw (the frame's bytes as they are)\n"
          "  -f, --format FMT        pixel format to capture/deliver, e.g. YUYV, MJPG, RGB24\n"
          "                          (default: the source's own)\n"
          "  -s, --size WxH          frame size, e.g. 1280x720 (default: the source's own)\n"
          "      --fps F             frame rate, e.g. 30 or 30000/1001 (default: the source's own)\n"
          "      --mode MODE         newest: take the newest ready frame, count older ones as\n"
          "                          dropped; all: every frame in order (default: newest;\n"
          "                          files always deliver every frame)\n"
          "      --buffers N         V4L2 driver buffers, 2..32 (default: 3)\n"
          "      --loop              files/images: start again at the end\n"
          "      --pace              files: deliver at the file's native rate (default: as fast\n"
          "                          as decoding goes)\n"
          "      --timeout S         fail when no frame arrives for S seconds (default: 5)\n"
          "      --json              print the summary as one JSON object on stdout\n"
          "  -v, --verbose           more messages; -q, --quiet: errors only, no status line\n"
          "      --log-level LEVEL   error, warn, info, debug or trace (default: warn)\n"
          "  -h, --help              this help\n\n",
          f);
    cli_sources_help(f);
    fputs("\nexamples:\n"
          "  vrt capture --duration 5                        default camera, 5 s, statistics\n"
          "  vrt capture /dev/video0 -s 1280x720 -f MJPG --fps 30 --frames 300\n"
          "  vrt capture synthetic: --frames 30 --out frames/ --json\n"
          "  vrt capture video.mp4 --out video.yuv -f YUYV  decode a file to raw YUYV\n"
          "  vrt capture 'image:photos/*.jpg' --out png/    convert images to PNG\n\n"
          "exit status: 0 done (also when stopped by a signal or at the end of a file),\n"
          "1 runtime error (no such device or file, unsupported format, no frames),\n"
          "2 usage error\n",
          f);
}

/* ---- options ------------------------------------------------------------------- */

enum {
    OPT_IMAGE_FORMAT = CLI_OPT_FIRST_COMMAND_OPTION,
    OPT_QUALITY,
    OPT_RAW,
    OPT_FPS,
    OPT_MODE,
    OPT_BUFFERS,
    OPT_LOOP,
    OPT_PACE,
    OPT_TIMEOUT,
    OPT_JSON,
};

typedef enum out_kind { OUT_NONE = 0, OUT_WRITER, OUT_RAWFILE } out_kind;

typedef struct capture_opts {
    const char *source; /* NULL: default */
    int64_t frames;     /* 0: no limit */
    double duration;    /* s; 0: no limit */
    const char *out;
    out_kind out_kind;
    const char *image_ext; /* folders: "png", "jpg", "raw" */
    char target[1100];     /* OUT_WRITER: the writer's target (a folder gets its '/') */
    int quality;
    vrt_source_params params;
    int have_mode;
    double timeout_s;
    int json;
} capture_opts;

static int ends_with_ci(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

/* --fps N or N/D (like the URI option). */
static int parse_fps(cli_ctx *ctx, const char *arg, double *fps) {
    const char *slash = strchr(arg, '/');
    if (!slash) return cli_parse_double(ctx, "--fps", arg, 0.001, 10000, fps);
    char num[64];
    snprintf(num, sizeof(num), "%.*s", (int)(slash - arg), arg);
    double a, b;
    int rc;
    if ((rc = cli_parse_double(ctx, "--fps", num, 0.001, 1e9, &a))) return rc;
    if ((rc = cli_parse_double(ctx, "--fps", slash + 1, 0.001, 1e9, &b))) return rc;
    *fps = a / b;
    if (*fps > 10000) return cli_usage_error(ctx, "--fps '%s': expected a rate up to 10000", arg);
    return 0;
}

/* Flags that are checked together once all options are read. */
typedef struct capture_flags {
    int raw, have_image_format;
} capture_flags;

/* Answer of the option parsers below for an option that is not theirs. */
#define NOT_MINE (-2)

/* The options that choose what is saved and how; NOT_MINE for others. */
static int parse_output_option(cli_ctx *ctx, int c, capture_opts *o, capture_flags *fl) {
    int64_t i64;
    int rc;
    switch (c) {
    case 'o':
        if (!*optarg) return cli_usage_error(ctx, "--out needs a folder or a .raw/.yuv file name");
        o->out = optarg;
        return 0;
    case OPT_IMAGE_FORMAT:
        if (!strcasecmp(optarg, "png"))
            o->image_ext = "png";
        else if (!strcasecmp(optarg, "jpg") || !strcasecmp(optarg, "jpeg"))
            o->image_ext = "jpg";
        else
            return cli_usage_error(ctx, "--image-format '%s' unknown; use png or jpg", optarg);
        fl->have_image_format = 1;
        return 0;
    case OPT_QUALITY:
        if ((rc = cli_parse_i64(ctx, "--quality", optarg, 1, 100, &i64))) return rc;
        o->quality = (int)i64;
        return 0;
    case OPT_RAW: fl->raw = 1; return 0;
    case OPT_JSON: o->json = 1; return 0;
    default: return NOT_MINE;
    }
}

/* The options that configure the source; NOT_MINE for others. */
static int parse_source_option(cli_ctx *ctx, int c, capture_opts *o) {
    int64_t i64;
    int rc;
    switch (c) {
    case 'f': return cli_parse_fourcc(ctx, "--format", optarg, &o->params.fourcc);
    case 's': return cli_parse_size(ctx, "--size", optarg, &o->params.width, &o->params.height);
    case OPT_FPS: return parse_fps(ctx, optarg, &o->params.fps);
    case OPT_MODE:
        if (!strcasecmp(optarg, "newest"))
            o->params.mode = VRT_MODE_NEWEST;
        else if (!strcasecmp(optarg, "all"))
            o->params.mode = VRT_MODE_ALL;
        else
            return cli_usage_error(ctx, "--mode '%s' unknown; use newest or all", optarg);
        o->have_mode = 1;
        return 0;
    case OPT_BUFFERS:
        if ((rc = cli_parse_i64(ctx, "--buffers", optarg, 2, 32, &i64))) return rc;
        o->params.buffers = (int)i64;
        return 0;
    case OPT_LOOP: o->params.loop = 1; return 0;
    case OPT_PACE: o->params.pace = 1; return 0;
    default: return NOT_MINE;
    }
}

/* --out FILE.raw, or a vrt/writer.h target: an image, numbered images, a video, or a folder (a
 * name without an extension is a folder, as before), and the options that only apply to some. */
static int check_output_options(cli_ctx *ctx, capture_opts *o, const capture_flags *fl) {
    if (!o->out) {
        if (fl->raw || fl->have_image_format)
            return cli_usage_error(ctx, "%s needs --out DIR", fl->raw ? "--raw" : "--image-format");
        return 0;
    }
    if (ends_with_ci(o->out, ".raw") || ends_with_ci(o->out, ".yuv") || ends_with_ci(o->out, ".bin")) {
        o->out_kind = OUT_RAWFILE;
        if (fl->have_image_format)
            return cli_usage_error(ctx, "--image-format applies to --out DIR, not to the raw file '%s'",
                                   o->out);
        return 0;
    }
    o->out_kind = OUT_WRITER;
    const char *slash = strrchr(o->out, '/'), *dot = strrchr(o->out, '.');
    int folder = o->out[strlen(o->out) - 1] == '/' ||
                 (!vrt_writer_recognizes(o->out) && !strchr(o->out, '%') && (!dot || (slash && dot < slash)));
    snprintf(o->target, sizeof(o->target), "%s%s", o->out,
             folder && o->out[strlen(o->out) - 1] != '/' ? "/" : "");
    if (!folder && (fl->raw || fl->have_image_format))
        return cli_usage_error(ctx, "%s applies to --out DIR, not to '%s'",
                               fl->raw ? "--raw" : "--image-format", o->out);
    if (fl->raw && fl->have_image_format)
        return cli_usage_error(ctx, "--raw and --image-format exclude each other");
    if (fl->raw) o->image_ext = "raw";
    return 0;
}

static int parse_capture_args(cli_ctx *ctx, int argc, char **argv, capture_opts *o) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"frames", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"image-format", required_argument, NULL, OPT_IMAGE_FORMAT},
        {"quality", required_argument, NULL, OPT_QUALITY},
        {"raw", no_argument, NULL, OPT_RAW},
        {"format", required_argument, NULL, 'f'},
        {"size", required_argument, NULL, 's'},
        {"fps", required_argument, NULL, OPT_FPS},
        {"mode", required_argument, NULL, OPT_MODE},
        {"buffers", required_argument, NULL, OPT_BUFFERS},
        {"loop", no_argument, NULL, OPT_LOOP},
        {"pace", no_argument, NULL, OPT_PACE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    vrt_source_default_params(&o->params);
    o->image_ext = "png";
    o->timeout_s = 5.0;
    capture_flags fl = {0, 0};
    int rc = cli_getopt_begin(ctx, argc, argv, opts);
    if (rc) return rc;
    int c;
    while ((c = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS "n:d:o:f:s:", opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        if (c == 'h') {
            cmd_capture_help(stdout);
            return -1;
        }
        if (c == 'n')
            rc = cli_parse_i64(ctx, "--frames", optarg, 1, INT64_MAX / 2, &o->frames);
        else if (c == 'd')
            rc = cli_parse_double(ctx, "--duration", optarg, 0.001, 1e7, &o->duration);
        else if (c == OPT_TIMEOUT)
            rc = cli_parse_double(ctx, "--timeout", optarg, 0.01, 86400, &o->timeout_s);
        else if ((rc = parse_output_option(ctx, c, o, &fl)) == NOT_MINE &&
                 (rc = parse_source_option(ctx, c, o)) == NOT_MINE)
            return cli_getopt_error(ctx, c, argc, argv, opts);
        if (rc) return rc;
    }
    if (optind < argc) o->source = argv[optind++];
    if (optind < argc)
        return cli_usage_error(ctx, "unexpected argument '%s' (one SOURCE at most)", argv[optind]);
    return check_output_options(ctx, o, &fl);
}

/* ---- raw output ---------------------------------------------------------------- */

/* Bytes of one row of plane p without padding, and the number of rows; 0 if unknown. */
static void plane_geometry(const vrt_frame *f, int p, size_t *row_bytes, size_t *rows) {
    size_t w = f->width, h = f->height;
    *row_bytes = 0;
    *rows = 0;
    switch (f->fourcc) {
    case VRT_FMT_YUYV:
    case VRT_FMT_UYVY:
        *row_bytes = 2 * w;
        *rows = h;
        break;
    case VRT_FMT_RGB24:
    case VRT_FMT_BGR24:
        *row_bytes = 3 * w;
        *rows = h;
        break;
    case VRT_FMT_GREY:
        *row_bytes = w;
        *rows = h;
        break;
    case VRT_FMT_NV12:
        *row_bytes = w;
        /* One contiguous plane holds Y and UV; two planes split them. */
        *rows = f->num_planes == 1 ? h + h / 2 : (p == 0 ? h : h / 2);
        break;
    default: break;
    }
}

static int write_raw(FILE *fp, const vrt_frame *f) {
    if (!vrt_fourcc_is_raw(f->fourcc)) {
        size_t n = f->bytesused ? f->bytesused : f->planes[0].size;
        return fwrite(f->planes[0].data, 1, n, fp) == n ? 0 : -1;
    }
    for (int p = 0; p < f->num_planes; p++) {
        size_t row, rows;
        plane_geometry(f, p, &row, &rows);
        const vrt_plane *pl = &f->planes[p];
        if (!row || row > pl->stride || (size_t)pl->stride * rows > pl->size) {
            if (fwrite(pl->data, 1, pl->size, fp) != pl->size) return -1;
            continue;
        }
        for (size_t y = 0; y < rows; y++)
            if (fwrite(pl->data + y * pl->stride, 1, row, fp) != row) return -1;
    }
    return 0;
}

/* ---- summary ------------------------------------------------------------------- */

typedef struct capture_result {
    char uri[1024];
    vrt_source_info info;
    vrt_source_stats stats;
    uint64_t frames;
    uint64_t saved;
    char saved_as[64];                   /* what --out got: "png", "libx264 video", ... */
    int64_t t_start, t_end;              /* ns, wall (monotonic) time of the capture loop */
    int64_t first_dequeue, last_dequeue; /* ns */
    vrt_hist *interval;                  /* dequeue-to-dequeue, ns */
    vrt_hist *age;                       /* driver timestamp -> dequeue, ns */
    uint64_t age_negative;               /* timestamps from the future: clock mismatch */
    const char *stopped_by;              /* "frames", "duration", "signal", "eof", "error" */
} capture_result;

static double rate_of(const capture_result *r) {
    if (r->frames >= 2 && r->last_dequeue > r->first_dequeue)
        return (double)(r->frames - 1) * 1e9 / (double)(r->last_dequeue - r->first_dequeue);
    double d = (double)(r->t_end - r->t_start) / 1e9;
    return d > 0 ? (double)r->frames / d : 0;
}

static const char *mode_name(vrt_capture_mode m) {
    return m == VRT_MODE_ALL ? "all" : "newest";
}

static void json_hist_ms(vrt_json *w, const char *key, const vrt_hist *h) {
    vrt_hist_summary s;
    vrt_hist_summarize(h, &s);
    vrt_json_key(w, key);
    if (!s.count) {
        vrt_json_null(w);
        return;
    }
    vrt_json_begin_object(w);
    vrt_json_kv_uint(w, "count", s.count);
    vrt_json_kv_double(w, "min", (double)s.min / 1e6);
    vrt_json_kv_double(w, "p50", (double)s.p50 / 1e6);
    vrt_json_kv_double(w, "p90", (double)s.p90 / 1e6);
    vrt_json_kv_double(w, "p99", (double)s.p99 / 1e6);
    vrt_json_kv_double(w, "max", (double)s.max / 1e6);
    vrt_json_kv_double(w, "mean", s.mean / 1e6);
    vrt_json_kv_double(w, "stddev", s.stddev / 1e6);
    vrt_json_end_object(w);
}

static void print_json(const capture_result *r, const capture_opts *o) {
    char fcc[8];
    vrt_json w;
    vrt_json_init_file(&w, stdout);
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_json_begin_object(&w);
    vrt_json_key(&w, "source");
    vrt_json_begin_object(&w);
    vrt_json_kv_string(&w, "uri", r->uri);
    vrt_json_kv_string(&w, "kind", r->info.kind);
    vrt_json_kv_string(&w, "name", r->info.name);
    vrt_json_kv_string(&w, "driver", r->info.driver);
    vrt_json_kv_string(&w, "format", vrt_fourcc_name(r->info.fourcc, fcc));
    vrt_json_kv_uint(&w, "width", r->info.width);
    vrt_json_kv_uint(&w, "height", r->info.height);
    vrt_json_kv_double(&w, "fps", r->info.fps);
    vrt_json_kv_int(&w, "buffers", r->info.buffers);
    vrt_json_kv_string(&w, "mode", mode_name(r->info.mode));
    vrt_json_kv_bool(&w, "driver_timestamps", r->info.driver_timestamps);
    vrt_json_end_object(&w);
    vrt_json_kv_uint(&w, "frames", r->frames);
    vrt_json_kv_double(&w, "duration_s", (double)(r->t_end - r->t_start) / 1e9);
    vrt_json_kv_double(&w, "fps", rate_of(r));
    json_hist_ms(&w, "interval_ms", r->interval);
    vrt_json_kv_uint(&w, "dropped", r->stats.dropped);
    vrt_json_kv_uint(&w, "requeued", r->stats.requeued);
    vrt_json_kv_uint(&w, "errors", r->stats.errors);
    vrt_json_kv_uint(&w, "reconnects", r->stats.reconnects);
    json_hist_ms(&w, "age_ms", r->age);
    vrt_json_kv_uint(&w, "saved", r->saved);
    if (o->out)
        vrt_json_kv_string(&w, "out", o->out);
    else
        vrt_json_kv_null(&w, "out");
    vrt_json_kv_string(&w, "stopped_by", r->stopped_by);
    vrt_json_end_object(&w);
    vrt_json_newline(&w);
    vrt_json_finish(&w);
    fflush(stdout);
}

static void print_human(const capture_result *r, const capture_opts *o) {
    char fcc[8];
    vrt_hist_summary iv, age;
    vrt_hist_summarize(r->interval, &iv);
    vrt_hist_summarize(r->age, &age);
    printf("source:    %s (%s%s%s, %s %ux%u", r->uri, r->info.kind, r->info.driver[0] ? ", driver " : "",
           r->info.driver, vrt_fourcc_name(r->info.fourcc, fcc), r->info.width, r->info.height);
    if (r->info.fps > 0) printf(" @ %.4g fps", r->info.fps);
    if (!strcmp(r->info.kind, "v4l2"))
        printf(", %d buffers, mode %s", r->info.buffers, mode_name(r->info.mode));
    printf(")\n");
    printf("frames:    %llu in %.3f s, %.2f fps\n", (unsigned long long)r->frames,
           (double)(r->t_end - r->t_start) / 1e9, rate_of(r));
    if (iv.count)
        printf("interval:  p50 %.3f ms, p99 %.3f ms, max %.3f ms (between frames at dequeue)\n",
               (double)iv.p50 / 1e6, (double)iv.p99 / 1e6, (double)iv.max / 1e6);
    printf("drops:     %llu dropped, %llu errors", (unsigned long long)r->stats.dropped,
           (unsigned long long)r->stats.errors);
    if (r->stats.reconnects) printf(", %llu reconnects", (unsigned long long)r->stats.reconnects);
    printf("\n");
    if (age.count)
        printf("age:       p50 %.3f ms, p99 %.3f ms, max %.3f ms (driver timestamp -> dequeue)\n",
               (double)age.p50 / 1e6, (double)age.p99 / 1e6, (double)age.max / 1e6);
    else
        printf("age:       n/a (the source has no driver timestamps)\n");
    if (o->out)
        printf("saved:     %llu frames to %s%s%s\n", (unsigned long long)r->saved, o->out,
               r->saved_as[0] ? " as " : "", r->saved_as);
    printf("stopped:   %s\n", r->stopped_by);
    fflush(stdout);
}

/* ---- the capture loop ---------------------------------------------------------- */

static vrt_status open_source(cli_ctx *ctx, const capture_opts *o, vrt_source_t **src, char *uri,
                              size_t uri_cap, char *err, size_t err_cap) {
    if (o->source) {
        snprintf(uri, uri_cap, "%s", o->source);
        return vrt_source_open(src, uri, &o->params, err, err_cap);
    }
    char why[512];
    vrt_status st = vrt_source_open(src, CLI_DEFAULT_DEVICE, &o->params, why, sizeof(why));
    if (st == VRT_OK) {
        snprintf(uri, uri_cap, "%s", CLI_DEFAULT_DEVICE);
        cli_info(ctx, "no source given: using %s", CLI_DEFAULT_DEVICE);
        return VRT_OK;
    }
    snprintf(uri, uri_cap, "%s", CLI_DEFAULT_FALLBACK);
    cli_info(ctx, "no source given; %s did not open (%s); using %s", CLI_DEFAULT_DEVICE, why,
             CLI_DEFAULT_FALLBACK);
    return vrt_source_open(src, uri, &o->params, err, err_cap);
}

/* --out: the writer opened (a folder is made, a video file created), or the raw file opened.
 * 0, or CLI_EXIT_RUNTIME (said). */
static int prepare_output(const capture_opts *o, FILE **rawfp, vrt_writer_t **writer) {
    if (o->out_kind == OUT_WRITER) {
        vrt_writer_params wp;
        vrt_writer_default_params(&wp);
        wp.quality = o->quality;
        wp.folder_ext = o->image_ext;
        char err[1024];
        if (vrt_writer_open(writer, o->target, &wp, err, sizeof(err)) != VRT_OK) {
            cli_error("%s", err);
            return CLI_EXIT_RUNTIME;
        }
    } else if (o->out_kind == OUT_RAWFILE) {
        *rawfp = fopen(o->out, "wb");
        if (!*rawfp) {
            cli_error("--out %s: cannot open for writing (%s)", o->out, strerror(errno));
            return CLI_EXIT_RUNTIME;
        }
    }
    return 0;
}

/* The state of one capture loop. */
typedef struct capture_run {
    cli_ctx *ctx;
    const capture_opts *o;
    capture_result *r;
    vrt_source_t *src;
    FILE *rawfp;
    vrt_writer_t *writer;
    char path[4096];
    int live;
    int64_t last_frame_ns, next_status, status_t;
    uint64_t status_frames;
    double status_fps;
} capture_run;

/* Statistics of one frame and saving it. 0, or CLI_EXIT_RUNTIME (said). */
static int take_frame(capture_run *c, const vrt_frame *frame) {
    capture_result *r = c->r;
    const capture_opts *o = c->o;
    if (r->frames == 0)
        r->first_dequeue = frame->dequeue_ns;
    else
        vrt_hist_record(r->interval, frame->dequeue_ns - r->last_dequeue);
    r->last_dequeue = frame->dequeue_ns;
    if (r->info.driver_timestamps && frame->ts_from_driver && frame->timestamp_ns > 0) {
        int64_t a = frame->dequeue_ns - frame->timestamp_ns;
        if (a < 0) r->age_negative++;
        vrt_hist_record(r->age, a);
    }
    if (o->out_kind == OUT_WRITER) {
        char serr[512];
        vrt_status ss =
            vrt_writer_write(c->writer, frame, NULL, c->path, sizeof(c->path), serr, sizeof(serr));
        if (ss != VRT_OK) {
            cli_error("cannot save frame %llu: %s", (unsigned long long)r->frames,
                      serr[0] ? serr : vrt_status_str(ss));
            return CLI_EXIT_RUNTIME;
        }
        r->saved++;
    } else if (o->out_kind == OUT_RAWFILE) {
        if (write_raw(c->rawfp, frame) != 0) {
            cli_error("--out %s: write failed (%s)", o->out, strerror(errno));
            return CLI_EXIT_RUNTIME;
        }
        r->saved++;
    }
    return 0;
}

/* The live status line, 4 times a second. */
static void status_update(capture_run *c, int64_t now) {
    capture_result *r = c->r;
    if (!c->live || now < c->next_status) return;
    double dt = (double)(now - c->status_t) / 1e9;
    if (dt > 0) c->status_fps = (double)(r->frames - c->status_frames) / dt;
    c->status_frames = r->frames;
    c->status_t = now;
    c->next_status = now + 250000000LL;
    vrt_source_stats ls;
    vrt_source_get_stats(c->src, &ls);
    vrt_hist_summary a;
    vrt_hist_summarize(r->age, &a);
    if (a.count)
        cli_status_line("capturing: %llu frames  %.1f s  %.1f fps  %llu dropped  age p50 %.2f ms",
                        (unsigned long long)r->frames, (double)(now - r->t_start) / 1e9, c->status_fps,
                        (unsigned long long)ls.dropped, (double)a.p50 / 1e6);
    else
        cli_status_line("capturing: %llu frames  %.1f s  %.1f fps  %llu dropped",
                        (unsigned long long)r->frames, (double)(now - r->t_start) / 1e9, c->status_fps,
                        (unsigned long long)ls.dropped);
}

/* Why the loop should end now (r->stopped_by), or NULL. */
static const char *stop_reason(const capture_run *c, int64_t now, int64_t deadline) {
    if (cli_stop_signal()) return "signal";
    if (c->o->frames && c->r->frames >= (uint64_t)c->o->frames) return "frames";
    if (now >= deadline) return "duration";
    return NULL;
}

/* One read's outcome other than a frame. 0: go on, 1: the end (eof), else CLI_EXIT_RUNTIME (said). */
static int read_failed(capture_run *c, vrt_status st, int64_t now) {
    capture_result *r = c->r;
    if (st == VRT_EOF) {
        r->stopped_by = "eof";
        return 1;
    }
    if (st == VRT_EAGAIN || st == VRT_EINTR) {
        if (cli_stop_signal() || now - c->last_frame_ns <= (int64_t)(c->o->timeout_s * 1e9)) return 0;
        cli_status_clear();
        cli_error("%s: no frame for %.3g s (--timeout); is the device streaming?", r->uri, c->o->timeout_s);
        r->stopped_by = "timeout";
        return CLI_EXIT_RUNTIME;
    }
    const char *m = vrt_source_last_error(c->src);
    cli_status_clear();
    cli_error("%s: %s", r->uri, m[0] ? m : vrt_status_str(st));
    return CLI_EXIT_RUNTIME;
}

/* Reads until a stop reason, the end or an error. CLI_EXIT_OK or CLI_EXIT_RUNTIME. */
static int capture_loop(capture_run *c) {
    capture_result *r = c->r;
    r->t_start = vrt_now_ns();
    c->last_frame_ns = c->status_t = r->t_start;
    c->next_status = r->t_start + 250000000LL;
    int64_t deadline = c->o->duration > 0 ? r->t_start + (int64_t)(c->o->duration * 1e9) : INT64_MAX;
    for (;;) {
        int64_t now = vrt_now_ns();
        const char *why = stop_reason(c, now, deadline);
        if (why) {
            r->stopped_by = why;
            return CLI_EXIT_OK;
        }
        int64_t wait_ns = deadline - now;
        if (wait_ns > 100000000LL) wait_ns = 100000000LL; /* look at signals and status 10x/s */
        vrt_frame *frame = NULL;
        vrt_status st = vrt_source_read(c->src, &frame, (int)((wait_ns + 999999) / 1000000));
        now = vrt_now_ns();
        if (st == VRT_OK) {
            int rc = take_frame(c, frame);
            vrt_frame_unref(&frame);
            if (rc) return rc;
            r->frames++;
            c->last_frame_ns = now;
        } else {
            int rc = read_failed(c, st, now);
            if (rc) return rc == 1 ? CLI_EXIT_OK : rc;
        }
        status_update(c, now);
    }
}

/* Opens and starts the source and the output. 0, or CLI_EXIT_RUNTIME (said). */
static int capture_setup(capture_run *c) {
    capture_result *r = c->r;
    char err[1024];
    if (open_source(c->ctx, c->o, &c->src, r->uri, sizeof(r->uri), err, sizeof(err)) != VRT_OK) {
        /* Name the source when the library's message does not already. */
        if (strstr(err, r->uri))
            cli_error("%s", err);
        else
            cli_error("cannot open '%s': %s", r->uri, err);
        return CLI_EXIT_RUNTIME;
    }
    vrt_source_get_info(c->src, &r->info);
    if (prepare_output(c->o, &c->rawfp, &c->writer)) return CLI_EXIT_RUNTIME;
    vrt_status st = vrt_source_start(c->src);
    if (st != VRT_OK) {
        const char *m = vrt_source_last_error(c->src);
        cli_error("%s: cannot start: %s", r->uri, m[0] ? m : vrt_status_str(st));
        return CLI_EXIT_RUNTIME;
    }
    vrt_source_get_info(c->src, &r->info); /* buffers and timestamps are final from start */
    return 0;
}

int cmd_capture(cli_ctx *ctx, int argc, char **argv) {
    capture_opts o;
    int rc = parse_capture_args(ctx, argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    cli_setup_logging(ctx);

    capture_result r;
    memset(&r, 0, sizeof(r));
    r.stopped_by = "error";
    capture_run c;
    memset(&c, 0, sizeof(c));
    c.ctx = ctx;
    c.o = &o;
    c.r = &r;
    int exit_code = CLI_EXIT_RUNTIME;
    int print_summary = 0;

    r.interval = vrt_malloc(sizeof(vrt_hist));
    r.age = vrt_malloc(sizeof(vrt_hist));
    if (!r.interval || !r.age) {
        cli_error("out of memory");
    } else {
        vrt_hist_init(r.interval);
        vrt_hist_init(r.age);
        if (!capture_setup(&c)) {
            cli_install_stop_signals();
            c.live = isatty(STDERR_FILENO) && ctx->verbosity >= 0;
            print_summary = 1;
            exit_code = capture_loop(&c);
        }
    }

    cli_status_clear();
    if (r.t_start) {
        r.t_end = vrt_now_ns();
        vrt_source_get_stats(c.src, &r.stats);
    }
    if (c.src) vrt_source_stop(c.src);
    if (c.writer) {
        vrt_writer_kind k = vrt_writer_get_kind(c.writer);
        snprintf(r.saved_as, sizeof(r.saved_as), "%s%s%s", vrt_writer_codec(c.writer),
                 k == VRT_WRITER_VIDEO ? " video" : "", k == VRT_WRITER_IMAGE ? " (the last frame)" : "");
        char err[1024];
        if (vrt_writer_close(&c.writer, err, sizeof(err)) != VRT_OK) {
            cli_error("%s", err);
            exit_code = CLI_EXIT_RUNTIME;
        }
    }
    if (c.rawfp && fclose(c.rawfp) != 0 && exit_code == CLI_EXIT_OK) {
        cli_error("--out %s: write failed (%s)", o.out, strerror(errno));
        exit_code = CLI_EXIT_RUNTIME;
    }
    if (print_summary) {
        if (r.age_negative)
            cli_info(ctx, "warning: %llu frames had timestamps after their dequeue time (clock mismatch?)",
                     (unsigned long long)r.age_negative);
        if (o.json)
            print_json(&r, &o);
        else if (exit_code == CLI_EXIT_OK || r.frames)
            print_human(&r, &o);
    }
    if (exit_code == CLI_EXIT_OK && r.frames == 0 && !cli_stop_signal()) {
        cli_error("%s: no frames were captured", r.uri);
        exit_code = CLI_EXIT_RUNTIME;
    }
    vrt_source_destroy(&c.src);
    vrt_free(r.interval);
    vrt_free(r.age);
    return exit_code;
}
