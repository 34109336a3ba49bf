/* report.c - one self-contained HTML page per run: configuration and
 * hardware, per-stream summary, latency distribution per stage, latency over
 * time, drops over time. Inline SVG and CSS only (no script, no network), so
 * it opens anywhere and renders the same in a headless browser.
 *
 * Section ids (stable, checked by the tests): config, hardware, summary,
 * results (as a sink), distribution, timeline, drops; per stream svg ids
 * dist-S-STAGE, timeline-S, drops-S.
 *
 * As a sink (report:PATH.html, *.html) it renders the last result of each
 * stream on its own thread (report_results.c: every result kind, a second
 * model's too) into a buffer sized at open; the page is written at finish
 * from the pipeline's statistics, histograms and per-frame records, with
 * those results. */
#include "sink-impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void esc(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void row(FILE *f, const char *k, const char *v) {
    fputs("<tr><th>", f);
    esc(f, k);
    fputs("</th><td>", f);
    esc(f, v);
    fputs("</td></tr>\n", f);
}

static void cpu_model(char *out, size_t cap) {
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ')
                    c++;
                c[strcspn(c, "\n")] = 0;
                snprintf(out, cap, "%s", c);
            }
            break;
        }
    }
    fclose(f);
}

static const char *const g_colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

#define W 640
#define H 220
#define ML 56
#define MR 12
#define MT 12
#define MB 34

/* Histogram of one stage on a log-scaled ms axis, 48 bins between min and max. */
static void svg_dist(FILE *f, const char *id, const vrt_hist *h, const char *color) {
    vrt_hist_summary s;
    vrt_hist_summarize(h, &s);
    fprintf(f,
            "<svg id=\"%s\" class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n",
            id, W, H, W, H);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n", ML,
            MT, W - ML - MR, H - MT - MB);
    if (!s.count) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">no samples</text></svg>\n", ML + 10, MT + 20);
        return;
    }
    enum { NB = 48 };
    double lo = (double)(s.min > 1000 ? s.min : 1000), hi = (double)(s.max > s.min ? s.max : s.min + 1);
    if (hi <= lo) hi = lo * 1.1;
    double llo = log10(lo) - 0.02, lhi = log10(hi) + 0.02;
    double bins[NB] = {0};
    int it = 0;
    vrt_hist_bucket b;
    while (vrt_hist_next_bucket(h, &it, &b)) {
        double mid = (double)(b.lower + b.upper) / 2;
        if (mid < lo) mid = lo;
        int k = (int)((log10(mid) - llo) / (lhi - llo) * NB);
        if (k < 0) k = 0;
        if (k >= NB) k = NB - 1;
        bins[k] += (double)b.count;
    }
    double peak = 1;
    for (int k = 0; k < NB; k++)
        peak = bins[k] > peak ? bins[k] : peak;
    double pw = (double)(W - ML - MR) / NB, ph = H - MT - MB;
    for (int k = 0; k < NB; k++) {
        if (!bins[k]) continue;
        double bh = bins[k] / peak * ph;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", ML + k * pw,
                MT + ph - bh, pw - 1, bh, color);
    }
    /* Percentile markers. */
    const struct {
        const char *n;
        int64_t v;
    } marks[] = {{"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
    for (int m = 0; m < 3; m++) {
        double v = (double)(marks[m].v > 0 ? marks[m].v : 1);
        double x = ML + (log10(v < lo ? lo : v) - llo) / (lhi - llo) * (W - ML - MR);
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-dasharray=\"3,3\"/>"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s %.3g</text>\n",
                x, x, MT, H - MB, x + 2, MT + 10 + 11 * m, marks[m].n, v / 1e6);
    }
    /* Axis ticks at 1-2-5 steps. */
    for (double e = floor(llo); e <= lhi; e += 1) {
        for (int m = 0; m < 3; m++) {
            double v = pow(10, e) * (m == 0 ? 1 : m == 1 ? 2 : 5);
            double lv = log10(v);
            if (lv < llo || lv > lhi) continue;
            double x = ML + (lv - llo) / (lhi - llo) * (W - ML - MR);
            fprintf(f,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.3g</text>\n",
                    x, x, H - MB, H - MB + 4, x, H - MB + 15, v / 1e6);
        }
    }
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">ms (log scale), %llu "
            "samples</text>\n",
            (W + ML) / 2, H - 4, (unsigned long long)s.count);
    fputs("</svg>\n", f);
}

/* Lines over time: e2e, age and process (ms) per result. */
static void svg_timeline(FILE *f, int stream, const vrt_pipeline_record *r, size_t n, int64_t deadline_ns) {
    fprintf(f,
            "<svg id=\"timeline-%d\" class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n",
            stream, W, H, W, H);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n", ML,
            MT, W - ML - MR, H - MT - MB);
    if (!n) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">no results</text></svg>\n", ML + 10, MT + 20);
        return;
    }
    int64_t t0 = r[0].launch_ns, t1 = r[n - 1].launch_ns > t0 ? r[n - 1].launch_ns : t0 + 1;
    double ymax = 0;
    for (size_t i = 0; i < n; i++)
        ymax = (double)r[i].e2e_ns / 1000.0 > ymax ? (double)r[i].e2e_ns / 1000.0 : ymax; /* us */
    if (deadline_ns > 0 && deadline_ns / 1000.0 > ymax) ymax = (double)deadline_ns / 1000.0;
    ymax = ymax * 1.05 + 1;
    double pw = W - ML - MR, ph = H - MT - MB;
    size_t step = n > 2000 ? n / 2000 : 1;
    const char *names[3] = {"e2e", "age", "process"};
    for (int line = 0; line < 3; line++) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" points=\"", g_colors[line]);
        for (size_t i = 0; i < n; i += step) {
            int64_t ns = line == 0 ? r[i].e2e_ns : line == 1 ? r[i].age_ns : r[i].process_ns;
            double v = (double)ns / 1000.0;
            double x = ML + (double)(r[i].launch_ns - t0) / (double)(t1 - t0) * pw;
            double y = MT + ph - (v < 0 ? 0 : v) / ymax * ph;
            fprintf(f, "%.1f,%.1f ", x, y);
        }
        fputs("\"/>\n", f);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>\n",
                W - MR - 150 + 50 * line, MT + 12, g_colors[line], names[line]);
    }
    if (deadline_ns > 0) {
        double y = MT + ph - (double)deadline_ns / 1000.0 / ymax * ph;
        fprintf(
            f,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"6,3\"/>"
            "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#d62728\">deadline</text>\n",
            ML, W - MR, y, y, ML + 4, y - 3);
    }
    for (int k = 0; k <= 4; k++) {
        double v = ymax * k / 4;
        double y = MT + ph - v / ymax * ph;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n", ML - 4,
                y + 3, v / 1000.0);
    }
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">time (s), %.3g s; latency in "
            "ms</text>\n",
            (W + ML) / 2, H - 4, (double)(t1 - t0) / 1e9);
    fputs("</svg>\n", f);
}

/* Drops before each result, as bars over time; deadline misses as red ticks. */
static void svg_drops(FILE *f, int stream, const vrt_pipeline_record *r, size_t n) {
    fprintf(f,
            "<svg id=\"drops-%d\" class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n",
            stream, W, H / 2 + 20, W, H / 2 + 20);
    int hh = H / 2 + 20 - MT - MB;
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n", ML,
            MT, W - ML - MR, hh);
    uint64_t total = 0, misses = 0;
    uint32_t peak = 1;
    for (size_t i = 0; i < n; i++) {
        total += r[i].dropped_before;
        misses += r[i].deadline_miss != 0;
        peak = r[i].dropped_before > peak ? r[i].dropped_before : peak;
    }
    if (n) {
        int64_t t0 = r[0].launch_ns, t1 = r[n - 1].launch_ns > t0 ? r[n - 1].launch_ns : t0 + 1;
        double pw = W - ML - MR;
        for (size_t i = 0; i < n; i++) {
            double x = ML + (double)(r[i].launch_ns - t0) / (double)(t1 - t0) * pw;
            if (r[i].dropped_before) {
                double bh = (double)r[i].dropped_before / peak * hh;
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"1.5\" height=\"%.1f\" fill=\"#ff7f0e\"/>", x,
                        MT + hh - bh, bh);
            }
            if (r[i].deadline_miss)
                fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#d62728\"/>", x, x, MT,
                        MT + 6);
        }
        fputc('\n', f);
    }
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%llu frames dropped before the "
            "%zu results shown (peak %u in a row); %llu deadline misses (red)</text>\n",
            (W + ML) / 2, H / 2 + 20 - 8, (unsigned long long)total, n, peak, (unsigned long long)misses);
    fputs("</svg>\n", f);
}

static const vrt_stage g_dist_stages[] = {VRT_STAGE_E2E,         VRT_STAGE_AGE,        VRT_STAGE_CAPTURE,
                                          VRT_STAGE_QUEUE,       VRT_STAGE_PREPROCESS, VRT_STAGE_INFER,
                                          VRT_STAGE_POSTPROCESS, VRT_STAGE_PERIOD};

static void write_head(FILE *f, const char *title) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    esc(f, title ? title : "vrt run report");
    fputs("</title>\n<style>body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}"
          "table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;"
          "text-align:left;font-size:13px}th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:"
          "tabular-nums}.plots{display:flex;flex-wrap:wrap;gap:12px}.plots figure{margin:0}"
          "figcaption{font-size:12px;font-weight:bold}h2{border-bottom:1px solid "
          "#ddd}</style>\n</head><body>\n",
          f);
    fputs("<h1 id=\"title\">", f);
    esc(f, title ? title : "vrt run report");
    fputs("</h1>\n", f);
}

static void write_config(FILE *f, vrt_pipeline_t *p, const char *command_line) {
    const vrt_profile *prof = vrt_pipeline_profile(p);
    vrt_pipeline_info in;
    vrt_pipeline_get_info(p, &in);
    char buf[512];
    fputs("<section id=\"config\"><h2>Configuration</h2><table>\n", f);
    if (command_line) row(f, "command", command_line);
    row(f, "model", in.model);
    row(f, "profile", prof->path);
    row(f, "task", vrt_task_name(prof->task));
    row(f, "backend", in.backend);
    row(f, "policy", in.policy == VRT_POLICY_ALL ? "all frames" : "newest frame");
    if (in.deadline_ns > 0)
        snprintf(buf, sizeof(buf), "%.3f ms", (double)in.deadline_ns / 1e6);
    else
        snprintf(buf, sizeof(buf), "none");
    row(f, "deadline", buf);
    snprintf(buf, sizeof(buf), "%s", in.nvtx ? "yes" : "no (nvtx3 headers not found at build time)");
    row(f, "NVTX ranges", buf);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
    row(f, "written", buf);
    row(f, "library", vrt_build_info());
    fputs("</table></section>\n", f);
}

static void write_hardware(FILE *f) {
    char buf[512];
    fputs("<section id=\"hardware\"><h2>Hardware</h2><table>\n", f);
    cpu_model(buf, sizeof(buf));
    row(f, "CPU", buf);
    snprintf(buf, sizeof(buf), "%ld online", sysconf(_SC_NPROCESSORS_ONLN));
    row(f, "cores", buf);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
        row(f, "kernel", buf);
        row(f, "host", u.nodename);
    }
    fputs("</table></section>\n", f);
}

static void write_summary_row(FILE *f, int i, const vrt_pipeline_stats *st) {
    char fcc[8];
    fprintf(f, "<tr><td>%d</td><td>", i);
    esc(f, st->uri);
    fprintf(f, "</td><td>%s %ux%u %.4g fps</td><td>", vrt_fourcc_name(st->info.fourcc, fcc), st->info.width,
            st->info.height, st->info.fps);
    esc(f, st->state);
    if (st->error[0]) {
        fputs(": ", f);
        esc(f, st->error);
    }
    fprintf(f,
            "</td><td class=n>%llu</td><td class=n>%.2f</td><td class=n>%llu</td><td class=n>%llu</td>"
            "<td class=n>%llu</td><td class=n>%.3f</td><td class=n>%.3f</td><td class=n>%.3f</td>"
            "<td class=n>%.3f</td><td class=n>%.3f</td><td class=n>%.3f</td></tr>\n",
            (unsigned long long)st->results, st->fps, (unsigned long long)st->dropped,
            (unsigned long long)st->deadline_misses, (unsigned long long)st->unplugs,
            (double)st->stage[VRT_STAGE_E2E].p50 / 1e6, (double)st->stage[VRT_STAGE_E2E].p99 / 1e6,
            (double)st->stage[VRT_STAGE_E2E].max / 1e6, (double)st->stage[VRT_STAGE_AGE].p50 / 1e6,
            (double)st->stage[VRT_STAGE_AGE].p99 / 1e6, (double)st->stage[VRT_STAGE_INFER].p50 / 1e6);
}

static void write_stage_table(FILE *f, int i, const vrt_pipeline_stats *st) {
    fprintf(f,
            "<h3>Stream %d stages (ms)</h3><table class=\"stages\"><tr><th>stage</th><th>count</th>"
            "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th><th>stddev</th></"
            "tr>\n",
            i);
    for (int k = 0; k < VRT_STAGE_COUNT; k++) {
        const vrt_hist_summary *s = &st->stage[k];
        if (k >= VRT_STAGE_PARALLEL_PREPROCESS && !s->count) continue; /* no second model */
        fprintf(f,
                "<tr><td>%s</td><td class=n>%llu</td><td class=n>%.3f</td><td class=n>%.3f</td>"
                "<td class=n>%.3f</td><td class=n>%.3f</td><td class=n>%.3f</td><td class=n>%.3f</td>"
                "<td class=n>%.3f</td></tr>\n",
                vrt_stage_name((vrt_stage)k), (unsigned long long)s->count, (double)s->p50 / 1e6,
                (double)s->p90 / 1e6, (double)s->p99 / 1e6, (double)s->p999 / 1e6, (double)s->max / 1e6,
                s->mean / 1e6, s->stddev / 1e6);
    }
    fputs("</table>\n", f);
}

/* Summary per stream, then the stage table per stream. */
static void write_summary(FILE *f, vrt_pipeline_t *p) {
    int ns = vrt_pipeline_num_streams(p);
    fputs("<section id=\"summary\"><h2>Streams</h2>\n<table><tr><th>stream</th><th>source</th><th>format</th>"
          "<th>state</th><th>results</th><th>fps</th><th>dropped</th><th>deadline misses</th><th>unplugs</th>"
          "<th>e2e p50 ms</th><th>e2e p99 ms</th><th>e2e max ms</th><th>age p50 ms</th><th>age p99 ms</th>"
          "<th>infer p50 ms</th></tr>\n",
          f);
    vrt_pipeline_stats st;
    for (int i = 0; i < ns; i++) {
        vrt_pipeline_get_stats(p, i, &st);
        write_summary_row(f, i, &st);
    }
    fputs("</table>\n", f);
    for (int i = 0; i < ns; i++) {
        vrt_pipeline_get_stats(p, i, &st);
        write_stage_table(f, i, &st);
    }
    fputs("</section>\n", f);
}

/* Per output: results written and dropped, what it lost itself, and result ready -> written (for a
 * display: presented). */
static void write_sinks(FILE *f, vrt_pipeline_t *p) {
    int n = vrt_pipeline_num_outputs(p);
    if (!n) return;
    fputs("<section id=\"sinks\"><h2>Outputs</h2>\n<table><tr><th>output</th><th>written</th><th>dropped</th>"
          "<th>lost</th><th>latency p50 ms</th><th>p99 ms</th><th>max ms</th><th>detail</th></tr>\n",
          f);
    for (int i = 0; i < n; i++) {
        vrt_pipeline_output_stats os;
        if (vrt_pipeline_get_output_stats(p, i, &os)) continue;
        fputs("<tr><td>", f);
        esc(f, os.name);
        fprintf(f,
                "</td><td class=n>%llu</td><td class=n>%llu</td><td class=n>%llu</td><td class=n>%.3f</td>"
                "<td class=n>%.3f</td><td class=n>%.3f</td><td>",
                (unsigned long long)os.written, (unsigned long long)os.dropped, (unsigned long long)os.lost,
                (double)os.latency.p50 / 1e6, (double)os.latency.p99 / 1e6, (double)os.latency.max / 1e6);
        esc(f, os.detail);
        fputs("</td></tr>\n", f);
    }
    fputs("</table><p>latency: result ready &rarr; the output has written it (a display: frame presented; "
          "the web viewer: frame encoded for the clients; MQTT: message queued)</p></section>\n",
          f);
}

static void write_distributions(FILE *f, vrt_pipeline_t *p) {
    int ns = vrt_pipeline_num_streams(p);
    vrt_hist *h = vrt_malloc(sizeof(*h));
    fputs("<section id=\"distribution\"><h2>Latency distribution per stage</h2>\n", f);
    for (int i = 0; i < ns && h; i++) {
        fprintf(f, "<h3>Stream %d</h3><div class=\"plots\">\n", i);
        for (size_t k = 0; k < sizeof(g_dist_stages) / sizeof(g_dist_stages[0]); k++) {
            vrt_stage sg = g_dist_stages[k];
            char id[64];
            snprintf(id, sizeof(id), "dist-%d-%s", i, vrt_stage_name(sg));
            vrt_pipeline_stream_hist(p, i, sg, h);
            fprintf(f, "<figure><figcaption>%s</figcaption>\n", vrt_stage_name(sg));
            svg_dist(f, id, h, g_colors[k % 10]);
            fputs("</figure>\n", f);
        }
        fputs("</div>\n", f);
    }
    fputs("</section>\n", f);
    vrt_free(h);
}

/* Latency over time, then drops, from the per-frame records. */
static void write_timelines(FILE *f, vrt_pipeline_t *p) {
    int ns = vrt_pipeline_num_streams(p);
    vrt_pipeline_info in;
    vrt_pipeline_get_info(p, &in);
    size_t rcap = 0;
    for (int i = 0; i < ns; i++) {
        vrt_pipeline_stats st;
        vrt_pipeline_get_stats(p, i, &st);
        if (st.results > rcap) rcap = st.results;
    }
    if (rcap > 200000) rcap = 200000;
    vrt_pipeline_record *recs = vrt_calloc(rcap ? rcap : 1, sizeof(*recs));
    fputs("<section id=\"timeline\"><h2>Latency over time</h2>\n", f);
    for (int i = 0; i < ns; i++) {
        size_t n = recs ? vrt_pipeline_stream_records(p, i, recs, rcap) : 0;
        fprintf(f, "<h3>Stream %d</h3>\n", i);
        svg_timeline(f, i, recs, n, in.deadline_ns);
    }
    fputs("</section>\n<section id=\"drops\"><h2>Drops and deadline misses</h2>\n", f);
    for (int i = 0; i < ns; i++) {
        size_t n = recs ? vrt_pipeline_stream_records(p, i, recs, rcap) : 0;
        fprintf(f, "<h3>Stream %d</h3>\n", i);
        svg_drops(f, i, recs, n);
    }
    fputs("</section>\n", f);
    vrt_free(recs);
}

/* The last result of each stream (the sink's buffers; NULL: the section is left out). */
static void write_results(FILE *f, vrt_pipeline_t *p, const vrt__html_buf *res) {
    if (!res) return;
    fputs("<section id=\"results\"><h2>Last result per stream</h2>\n", f);
    for (int i = 0; i < vrt_pipeline_num_streams(p) && i < VRT_PIPELINE_MAX_STREAMS; i++) {
        if (!res[i].results) {
            fprintf(f, "<h3>Stream %d</h3><p>no results</p>\n", i);
            continue;
        }
        fprintf(f, "<h3>Stream %d, frame %llu</h3>\n", i, (unsigned long long)res[i].sequence);
        fwrite(res[i].b, 1, res[i].n, f);
    }
    fputs("</section>\n", f);
}

static vrt_status write_report(vrt_pipeline_t *p, const char *path, const char *title,
                               const char *command_line, const vrt__html_buf *res, char *err, size_t cap) {
    if (!p || !path) return VRT_EINVAL;
    vrt__outfile out; /* the old report stays until this one is complete */
    vrt_status st = vrt__outfile_open(&out, path, err, cap);
    if (st) return st;
    FILE *f = out.f;
    write_head(f, title);
    write_config(f, p, command_line);
    write_hardware(f);
    write_summary(f, p);
    write_results(f, p, res);
    write_sinks(f, p);
    write_distributions(f, p);
    write_timelines(f, p);
    fputs("</body></html>\n", f);
    return vrt__outfile_commit(&out, err, cap);
}

vrt_status vrt_sink_write_report(vrt_pipeline_t *p, const char *path, const char *title,
                                 const char *command_line, char *err, size_t cap) {
    return write_report(p, path, title, command_line, NULL, err, cap);
}

/* ---- the sink ------------------------------------------------------------------ */

typedef struct report {
    char path[1024];
    char name[64];
    char title[256];
    char command_line[2048];
    int has_title, has_command_line;
    vrt__html_buf res[VRT_PIPELINE_MAX_STREAMS]; /* the last result of each stream, as HTML */
    char *res_store;                             /* their buffers, RES_BYTES each */
} report;

#define RES_BYTES 16384

/* On the sink's thread: the result as HTML into its stream's buffer. */
static void report_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *pr) {
    (void)p;
    report *r = ctx;
    if (pr->stream >= 0 && pr->stream < VRT_PIPELINE_MAX_STREAMS)
        vrt__report_render_result(&r->res[pr->stream], pr);
}

static vrt_status report_finish(void *ctx, vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap) {
    (void)stopped_by;
    report *r = ctx;
    return write_report(p, r->path, r->has_title ? r->title : NULL,
                        r->has_command_line ? r->command_line : NULL, r->res, err, cap);
}

static void report_destroy(void *ctx) {
    report *r = ctx;
    if (r) vrt_free(r->res_store);
    vrt_free(ctx);
}

static vrt_status report_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                              const vrt_sink_params *sp, char *err, size_t cap) {
    (void)p;
    /* Fail before the run, not after it, when the report cannot be written;
     * the old report stays until the new one is complete. */
    vrt__outfile t;
    vrt_status st = vrt__outfile_open(&t, path, err, cap);
    if (st) return st;
    vrt__outfile_abandon(&t);
    report *r = vrt_calloc(1, sizeof(*r));
    if (r) r->res_store = vrt_malloc((size_t)VRT_PIPELINE_MAX_STREAMS * RES_BYTES);
    if (!r || !r->res_store) {
        if (r) vrt_free(r);
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    for (int i = 0; i < VRT_PIPELINE_MAX_STREAMS; i++) {
        r->res[i].b = r->res_store + (size_t)i * RES_BYTES;
        r->res[i].cap = RES_BYTES;
        r->res[i].b[0] = 0;
    }
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->has_title = sp->title != NULL;
    r->has_command_line = sp->command_line != NULL;
    snprintf(r->title, sizeof(r->title), "%s", sp->title ? sp->title : "");
    snprintf(r->command_line, sizeof(r->command_line), "%s", sp->command_line ? sp->command_line : "");
    snprintf(r->name, sizeof(r->name), "report:%s", path);
    o->name = r->name;
    o->ctx = r;
    o->write = report_write;
    o->finish = report_finish;
    o->destroy = report_destroy;
    return VRT_OK;
}

const vrt__sink_kind vrt__sink_report = {
    .scheme = "report",
    .extensions = ".html .htm",
    .example = "report:PATH.html",
    .available = 1,
    .open = report_open,
};
