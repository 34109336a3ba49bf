/*
 * vrt probe - describe V4L2 capture devices: identity, capabilities, formats,
 * frame sizes, frame rates, controls and the current format (like
 * `v4l2-ctl --all --list-formats-ext --list-ctrls-menus`), as text or JSON.
 */
#include <string.h>

#include "commands.h"
#include "vrt/json.h"
#include "vrt/v4l2.h"

enum { OPT_JSON = CLI_OPT_FIRST_COMMAND_OPTION };

void cmd_probe_help(FILE *f) {
    fputs("usage: vrt probe [DEVICE] [--json]\n\n"
          "Lists every V4L2 video capture device (/dev/video0 ... /dev/video63), or only DEVICE,\n"
          "with driver, card, bus, capabilities, the current format and frame rate, every\n"
          "pixel format with its frame sizes and frame rates, and the controls with their\n"
          "range, default and current value (menus with their items).\n"
          "With no devices present it says so and exits 0; a DEVICE that does not exist or\n"
          "is not a V4L2 node is an error (exit 1).\n\n"
          "options:\n"
          "      --json              print {\"devices\": [...]} as one JSON object on stdout\n"
          "  -v, --verbose           more messages; -q, --quiet: errors only\n"
          "      --log-level LEVEL   error, warn, info, debug or trace (default: warn)\n"
          "  -h, --help              this help\n\n"
          "DEVICE: /dev/videoN or v4l2:/dev/videoN\n\n"
          "examples:\n"
          "  vrt probe                   all cameras\n"
          "  vrt probe /dev/video2       one camera\n"
          "  vrt probe --json | python3 -m json.tool\n",
          f);
}

static const char *ctrl_type_name(vrt_control_type t) {
    switch (t) {
    case VRT_CTRL_INT: return "int";
    case VRT_CTRL_BOOL: return "bool";
    case VRT_CTRL_MENU: return "menu";
    case VRT_CTRL_BUTTON: return "button";
    case VRT_CTRL_INT64: return "int64";
    default: return "other";
    }
}

static void version_str(uint32_t v, char *buf, size_t cap) {
    snprintf(buf, cap, "%u.%u.%u", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

/* The four characters of a fourcc as V4L2 tools print them ("MJPG", "RGB3"), trailing blanks cut. */
static const char *fourcc4(uint32_t cc, char buf[8]) {
    for (int i = 0; i < 4; i++) {
        char ch = (char)((cc >> (8 * i)) & 0xff);
        buf[i] = (ch >= 32 && ch < 127) ? ch : '?';
    }
    buf[4] = 0;
    for (int i = 3; i > 0 && buf[i] == ' '; i--)
        buf[i] = 0;
    return buf;
}

static double fract_fps(vrt_v4l2_fract f) {
    return f.num ? (double)f.den / (double)f.num : 0;
}

/* ---- text ------------------------------------------------------------------------ */

static void print_caps(const char *label, uint32_t caps) {
    printf("  %-14s", label);
    for (int b = 0; b < 32; b++) {
        uint32_t bit = 1u << b;
        if (!(caps & bit)) continue;
        const char *n = vrt_v4l2_cap_name(bit);
        if (n)
            printf(" %s", n);
        else
            printf(" 0x%08x", bit);
    }
    printf("\n");
}

static void print_intervals(const vrt_v4l2_frame_size *s) {
    if (s->intervals_kind == VRT_V4L2_SIZE_DISCRETE) {
        printf(" @");
        for (int i = 0; i < s->num_intervals; i++)
            printf("%s %.4g", i ? "," : "", fract_fps(s->intervals[i]));
        printf(" fps");
    } else if (s->intervals_kind) {
        printf(" @ %.4g..%.4g fps", fract_fps(s->interval_max), fract_fps(s->interval_min));
    }
    printf("\n");
}

static void print_device(const vrt_v4l2_device *d) {
    char fcc[8], ver[32];
    version_str(d->version, ver, sizeof(ver));
    printf("%s: %s\n", d->path, d->card);
    printf("  %-14s %s (version %s)\n", "driver:", d->driver, ver);
    printf("  %-14s %s\n", "bus:", d->bus_info);
    print_caps("capabilities:", d->capabilities);
    if (d->device_caps != d->capabilities) print_caps("device caps:", d->device_caps);
    if (!d->is_capture) {
        printf("  (not a video capture node)\n");
        return;
    }
    if (d->cur_fourcc) {
        printf("  %-14s %s %ux%u", "current:", fourcc4(d->cur_fourcc, fcc), d->cur_width, d->cur_height);
        if (d->cur_fps > 0) printf(" @ %.4g fps", d->cur_fps);
        printf(" (bytesperline %u, sizeimage %u%s)\n", d->cur_bytesperline, d->cur_sizeimage,
               d->can_set_fps ? ", frame rate settable" : "");
    }
    printf("  formats:%s\n", d->num_formats ? "" : " none");
    for (int i = 0; i < d->num_formats; i++) {
        const vrt_v4l2_format *f = &d->formats[i];
        printf("    [%d] %-4s '%s'%s%s\n", i, fourcc4(f->fourcc, fcc), f->description,
               f->compressed ? " (compressed)" : "", f->emulated ? " (emulated)" : "");
        for (int k = 0; k < f->num_sizes; k++) {
            const vrt_v4l2_frame_size *s = &f->sizes[k];
            if (s->kind == VRT_V4L2_SIZE_DISCRETE) {
                char sz[32];
                snprintf(sz, sizeof(sz), "%ux%u", s->width, s->height);
                printf("        %-10s", sz);
            } else {
                printf("        %ux%u .. %ux%u step %ux%u", s->min_width, s->min_height, s->max_width,
                       s->max_height, s->step_width, s->step_height);
            }
            print_intervals(s);
        }
    }
    printf("  controls:%s\n", d->num_controls ? "" : " none");
    for (int i = 0; i < d->num_controls; i++) {
        const vrt_v4l2_control *c = &d->controls[i];
        const vrt_control *v = &c->c;
        printf("    %-30s 0x%08x (%s)", v->key[0] ? v->key : v->name, v->id, ctrl_type_name(v->type));
        if (v->type != VRT_CTRL_BUTTON)
            printf(" : min=%lld max=%lld step=%lld default=%lld value=%lld", (long long)v->min,
                   (long long)v->max, (long long)v->step, (long long)v->def, (long long)v->value);
        if (v->flags & VRT_CTRL_FLAG_DISABLED) printf(" disabled");
        if (v->flags & VRT_CTRL_FLAG_READ_ONLY) printf(" read-only");
        if (v->flags & VRT_CTRL_FLAG_INACTIVE) printf(" inactive");
        printf("\n");
        for (int m = 0; m < c->num_menu; m++) {
            if (c->menu[m].name[0])
                printf("        %u: %s\n", c->menu[m].index, c->menu[m].name);
            else
                printf("        %u: %lld\n", c->menu[m].index, (long long)c->menu[m].value);
        }
    }
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_caps(vrt_json *w, const char *key, uint32_t caps) {
    char hex[16];
    vrt_json_key(w, key);
    vrt_json_begin_array(w);
    for (int b = 0; b < 32; b++) {
        uint32_t bit = 1u << b;
        if (!(caps & bit)) continue;
        const char *n = vrt_v4l2_cap_name(bit);
        if (!n) {
            snprintf(hex, sizeof(hex), "0x%08x", bit);
            n = hex;
        }
        vrt_json_string(w, n);
    }
    vrt_json_end_array(w);
}

static void json_fract(vrt_json *w, const char *key, vrt_v4l2_fract f) {
    vrt_json_key(w, key);
    vrt_json_begin_object(w);
    vrt_json_kv_uint(w, "num", f.num);
    vrt_json_kv_uint(w, "den", f.den);
    vrt_json_kv_double(w, "fps", fract_fps(f));
    vrt_json_end_object(w);
}

static void json_device(vrt_json *w, const vrt_v4l2_device *d) {
    char fcc[8], ver[32];
    version_str(d->version, ver, sizeof(ver));
    vrt_json_begin_object(w);
    vrt_json_kv_string(w, "path", d->path);
    vrt_json_kv_string(w, "driver", d->driver);
    vrt_json_kv_string(w, "card", d->card);
    vrt_json_kv_string(w, "bus_info", d->bus_info);
    vrt_json_kv_string(w, "version", ver);
    json_caps(w, "capabilities", d->capabilities);
    json_caps(w, "device_caps", d->device_caps);
    vrt_json_kv_bool(w, "is_capture", d->is_capture);
    vrt_json_kv_bool(w, "streaming", d->has_streaming);
    vrt_json_kv_bool(w, "readwrite", d->has_readwrite);
    vrt_json_key(w, "current");
    if (d->cur_fourcc) {
        vrt_json_begin_object(w);
        vrt_json_kv_string(w, "format", fourcc4(d->cur_fourcc, fcc));
        vrt_json_kv_uint(w, "width", d->cur_width);
        vrt_json_kv_uint(w, "height", d->cur_height);
        vrt_json_kv_uint(w, "bytesperline", d->cur_bytesperline);
        vrt_json_kv_uint(w, "sizeimage", d->cur_sizeimage);
        vrt_json_kv_double(w, "fps", d->cur_fps);
        vrt_json_kv_bool(w, "can_set_fps", d->can_set_fps);
        vrt_json_end_object(w);
    } else {
        vrt_json_null(w);
    }
    vrt_json_key(w, "formats");
    vrt_json_begin_array(w);
    for (int i = 0; i < d->num_formats; i++) {
        const vrt_v4l2_format *f = &d->formats[i];
        vrt_json_begin_object(w);
        vrt_json_kv_string(w, "fourcc", fourcc4(f->fourcc, fcc));
        vrt_json_kv_string(w, "name", vrt_fourcc_name(f->fourcc, fcc));
        vrt_json_kv_string(w, "description", f->description);
        vrt_json_kv_bool(w, "compressed", f->compressed);
        vrt_json_kv_bool(w, "emulated", f->emulated);
        vrt_json_key(w, "sizes");
        vrt_json_begin_array(w);
        for (int k = 0; k < f->num_sizes; k++) {
            const vrt_v4l2_frame_size *s = &f->sizes[k];
            vrt_json_begin_object(w);
            if (s->kind == VRT_V4L2_SIZE_DISCRETE) {
                vrt_json_kv_string(w, "kind", "discrete");
                vrt_json_kv_uint(w, "width", s->width);
                vrt_json_kv_uint(w, "height", s->height);
            } else {
                vrt_json_kv_string(w, "kind", s->kind == VRT_V4L2_SIZE_STEPWISE ? "stepwise" : "continuous");
                vrt_json_kv_uint(w, "min_width", s->min_width);
                vrt_json_kv_uint(w, "max_width", s->max_width);
                vrt_json_kv_uint(w, "step_width", s->step_width);
                vrt_json_kv_uint(w, "min_height", s->min_height);
                vrt_json_kv_uint(w, "max_height", s->max_height);
                vrt_json_kv_uint(w, "step_height", s->step_height);
            }
            if (s->intervals_kind == VRT_V4L2_SIZE_DISCRETE) {
                vrt_json_key(w, "fps");
                vrt_json_begin_array(w);
                for (int i2 = 0; i2 < s->num_intervals; i2++)
                    vrt_json_double(w, fract_fps(s->intervals[i2]));
                vrt_json_end_array(w);
                vrt_json_key(w, "intervals");
                vrt_json_begin_array(w);
                for (int i2 = 0; i2 < s->num_intervals; i2++) {
                    vrt_json_begin_object(w);
                    vrt_json_kv_uint(w, "num", s->intervals[i2].num);
                    vrt_json_kv_uint(w, "den", s->intervals[i2].den);
                    vrt_json_end_object(w);
                }
                vrt_json_end_array(w);
            } else if (s->intervals_kind) {
                json_fract(w, "interval_min", s->interval_min);
                json_fract(w, "interval_max", s->interval_max);
                json_fract(w, "interval_step", s->interval_step);
            }
            vrt_json_end_object(w);
        }
        vrt_json_end_array(w);
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
    vrt_json_key(w, "controls");
    vrt_json_begin_array(w);
    for (int i = 0; i < d->num_controls; i++) {
        const vrt_v4l2_control *c = &d->controls[i];
        const vrt_control *v = &c->c;
        vrt_json_begin_object(w);
        vrt_json_kv_uint(w, "id", v->id);
        vrt_json_kv_string(w, "key", v->key);
        vrt_json_kv_string(w, "name", v->name);
        vrt_json_kv_string(w, "type", ctrl_type_name(v->type));
        vrt_json_kv_int(w, "min", v->min);
        vrt_json_kv_int(w, "max", v->max);
        vrt_json_kv_int(w, "step", v->step);
        vrt_json_kv_int(w, "default", v->def);
        vrt_json_kv_int(w, "value", v->value);
        vrt_json_kv_bool(w, "disabled", v->flags & VRT_CTRL_FLAG_DISABLED);
        vrt_json_kv_bool(w, "read_only", v->flags & VRT_CTRL_FLAG_READ_ONLY);
        vrt_json_kv_bool(w, "inactive", v->flags & VRT_CTRL_FLAG_INACTIVE);
        if (c->num_menu) {
            vrt_json_key(w, "menu");
            vrt_json_begin_array(w);
            for (int m = 0; m < c->num_menu; m++) {
                vrt_json_begin_object(w);
                vrt_json_kv_uint(w, "index", c->menu[m].index);
                if (c->menu[m].name[0])
                    vrt_json_kv_string(w, "name", c->menu[m].name);
                else
                    vrt_json_kv_int(w, "value", c->menu[m].value);
                vrt_json_end_object(w);
            }
            vrt_json_end_array(w);
        }
        vrt_json_end_object(w);
    }
    vrt_json_end_array(w);
    vrt_json_end_object(w);
}

static int print_json(vrt_v4l2_device *const *devs, int n) {
    vrt_json w;
    vrt_json_init_file(&w, stdout);
    vrt_json_begin_object(&w);
    vrt_json_key(&w, "devices");
    vrt_json_begin_array(&w);
    for (int i = 0; i < n; i++)
        json_device(&w, devs[i]);
    vrt_json_end_array(&w);
    vrt_json_end_object(&w);
    return cli_json_print_end(&w);
}

/* ---- command ---------------------------------------------------------------------- */

int cmd_probe(cli_ctx *ctx, int argc, char **argv) {
    static const struct option opts[] = {
        CLI_COMMON_LONG_OPTIONS,
        {"json", no_argument, NULL, OPT_JSON},
        {NULL, 0, NULL, 0},
    };
    int json = 0;
    int rc = cli_getopt_begin(ctx, argc, argv, opts);
    if (rc) return rc;
    int c;
    while ((c = cli_getopt_next(ctx, argc, argv, CLI_COMMON_SHORT_OPTIONS, opts)) != -1) {
        if (c == CLI_GETOPT_USAGE) return CLI_EXIT_USAGE;
        switch (c) {
        case 'h': cmd_probe_help(stdout); return 0;
        case OPT_JSON: json = 1; break;
        default: return cli_getopt_error(ctx, c, argc, argv, opts);
        }
    }
    const char *device = optind < argc ? argv[optind++] : NULL;
    if (optind < argc)
        return cli_usage_error(ctx, "unexpected argument '%s' (one DEVICE at most)", argv[optind]);
    cli_setup_logging(ctx);

    char err[512] = "";
    if (device) {
        char path[256];
        const char *p = device;
        if (!strncmp(p, "v4l2:", 5)) p += 5;
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(p, "?"), p);
        vrt_v4l2_device *d = NULL;
        vrt_status st = vrt_v4l2_probe(path, NULL, &d, err, sizeof(err));
        if (st != VRT_OK) return cli_error("%s", err[0] ? err : vrt_status_str(st));
        if (json)
            rc = print_json(&d, 1);
        else
            print_device(d);
        vrt_v4l2_device_free(&d);
        return rc;
    }
    vrt_v4l2_device **list = NULL;
    int n = 0;
    vrt_status st = vrt_v4l2_list(NULL, &list, &n, err, sizeof(err));
    if (st != VRT_OK) return cli_error("listing devices failed: %s", err[0] ? err : vrt_status_str(st));
    if (json) {
        rc = print_json(list, n);
    } else if (n == 0) {
        printf("no video capture devices found (looked for /dev/video0 ... /dev/video63)\n");
    } else {
        for (int i = 0; i < n; i++) {
            if (i) printf("\n");
            print_device(list[i]);
        }
    }
    vrt_v4l2_list_free(&list, n);
    return rc;
}
