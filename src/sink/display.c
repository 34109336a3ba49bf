/* display.c - display://N: the newest frames in a window (SDL2).
 *
 * One window per run shows every stream, as a grid of tiles (the way
 * DeepStream's tiler does): n streams get ceil(sqrt(n)) columns, each tile
 * the size of the first frame shown, each stream's newest frame fitted into
 * its tile with its aspect kept. display://N?stream=K shows stream K alone.
 *
 * Every SDL video call but the probe in open() runs on the sink's own thread:
 * the window and renderer are made there at the first frame (an OpenGL
 * renderer's context belongs to the thread that made it), and the window's
 * events are read there, after each frame and every 50 ms while no frame
 * comes (the output's idle callback). Frames go up as YUYV, UYVY, NV12 or
 * RGB textures as they come (no conversion on the CPU for those); GREY and
 * MJPEG are converted to RGB once into a frame made at the first frame.
 * With an overlay (vrt_sink_params.overlay; the default draws boxes, labels,
 * scores and the HUD) the frame is drawn into an RGB picture on this thread
 * (annotate.h) and that goes up instead; `--overlay none` shows the frame as
 * it came. Present does not wait for vsync (SDL_HINT_RENDER_VSYNC 0): the
 * sink's write returns once the frame is presented, which is what its
 * latency histogram measures (result ready -> presented).
 *
 * Closing the window, q or Esc asks the run to stop (vrt_pipeline_request_stop);
 * the run then ends as after Ctrl-C, with its summary. SDL's own signal
 * handlers are turned off: Ctrl-C stays the CLI's. */
#include "annotate.h"
#include "sink-impl.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/image.h"

#ifdef VRT_HAVE_SDL2
#include <SDL.h>

/* One stream's tile: its texture and what goes up into it. */
typedef struct tile {
    SDL_Texture *tex;
    uint32_t tex_fourcc, tex_w, tex_h;
    vrt_frame *rgb;     /* GREY and MJPEG frames converted for the texture */
    vrt__annotator ann; /* made at open (tile 0) or at the stream's first frame */
    int ann_ready;
} tile;

typedef struct display {
    vrt_pipeline_t *p;
    char name[64];
    int index;  /* display://N: the screen the window opens on */
    int stream; /* ?stream=K: the one stream it shows; -1: every stream, tiled */
    SDL_Window *win;
    SDL_Renderer *ren;
    tile tiles[VRT_PIPELINE_MAX_STREAMS];
    int ntiles, cols, rows;
    uint32_t cell_w, cell_h; /* a tile: the first frame's size */
    uint32_t win_w, win_h;   /* the grid: cols x rows tiles (the renderer's logical size) */
    vrt_overlay_params ovp;  /* what the tiles draw */
    char renderer[32];
    char driver[32]; /* SDL's video driver: x11, wayland, ... */
    int failed;      /* the window or renderer could not be made: results are counted as lost */
    _Atomic uint64_t lost;
    int64_t fps_t0;
    uint64_t fps_n;
    double fps;
    char label[96];
    int annotate; /* 0: --overlay none, the frame as it came */
} display;

/* SDL's video state is process-wide and Xlib is not made thread-safe by it: two windows driven from
 * two sinks' threads crash Xlib. One display output at a time, then (a guard on a process-wide
 * resource, not per-instance state). */
static atomic_flag g_window_taken = ATOMIC_FLAG_INIT;

static Uint32 sdl_format(uint32_t fourcc) {
    switch (fourcc) {
    case VRT_FMT_YUYV: return SDL_PIXELFORMAT_YUY2;
    case VRT_FMT_UYVY: return SDL_PIXELFORMAT_UYVY;
    case VRT_FMT_NV12: return SDL_PIXELFORMAT_NV12;
    case VRT_FMT_RGB24: return SDL_PIXELFORMAT_RGB24;
    case VRT_FMT_BGR24: return SDL_PIXELFORMAT_BGR24;
    default: return SDL_PIXELFORMAT_UNKNOWN;
    }
}

/* The window and renderer at the first frame: a grid of tiles of its size, one per stream shown,
 * the window scaled down to fit 1920x1080 when the grid is larger. */
static int make_window(display *d, uint32_t w, uint32_t h) {
    if (d->win) return 0;
    if (d->failed) return -1;
    int n = d->stream >= 0 ? 1 : vrt_pipeline_num_streams(d->p);
    d->ntiles = n < 1 ? 1 : n > VRT_PIPELINE_MAX_STREAMS ? VRT_PIPELINE_MAX_STREAMS : n;
    d->cols = 1;
    while (d->cols * d->cols < d->ntiles)
        d->cols++;
    d->rows = (d->ntiles + d->cols - 1) / d->cols;
    d->cell_w = w, d->cell_h = h;
    d->win_w = w * (uint32_t)d->cols, d->win_h = h * (uint32_t)d->rows;
    double k = 1.0;
    if (d->win_w > 1920) k = 1920.0 / d->win_w;
    if (d->win_h * k > 1080) k = 1080.0 / d->win_h;
    d->win = SDL_CreateWindow("vrt", SDL_WINDOWPOS_CENTERED_DISPLAY(d->index),
                              SDL_WINDOWPOS_CENTERED_DISPLAY(d->index), (int)(d->win_w * k),
                              (int)(d->win_h * k), SDL_WINDOW_RESIZABLE);
    if (d->win) d->ren = SDL_CreateRenderer(d->win, -1, SDL_RENDERER_ACCELERATED);
    if (d->win && !d->ren) d->ren = SDL_CreateRenderer(d->win, -1, SDL_RENDERER_SOFTWARE);
    if (!d->ren) {
        vrt_log(VRT_LOG_ERROR, "sink", "%s: cannot make the window: %s", d->name, SDL_GetError());
        d->failed = 1;
        return -1;
    }
    SDL_RendererInfo ri;
    if (!SDL_GetRendererInfo(d->ren, &ri)) snprintf(d->renderer, sizeof(d->renderer), "%s", ri.name);
    SDL_RenderSetLogicalSize(d->ren, (int)d->win_w, (int)d->win_h); /* keeps the aspect */
    d->fps_t0 = vrt_now_ns();
    char t[128];
    snprintf(t, sizeof(t), "vrt %s - starting", d->name);
    SDL_SetWindowTitle(d->win, t);
    return 0;
}

/* Tile t's texture for f's format and size (made again when they change); the frame that goes up. */
static const vrt_frame *texture_for(display *d, tile *t, const vrt_frame *f) {
    const vrt_frame *up = f;
    if (!sdl_format(f->fourcc)) { /* GREY, MJPEG: to RGB once */
        if (!t->rgb || t->rgb->width != f->width || t->rgb->height != f->height) {
            vrt_frame_unref(&t->rgb);
            if (vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &t->rgb)) return NULL;
        }
        char e[160];
        vrt_status st = f->fourcc == VRT_FMT_MJPEG
                            ? vrt_jpeg_decode_into(f->planes[0].data, f->bytesused, t->rgb, e, sizeof(e))
                            : vrt_image_convert(f, t->rgb, e, sizeof(e));
        if (st) return NULL;
        up = t->rgb;
    }
    if (!t->tex || t->tex_fourcc != up->fourcc || t->tex_w != up->width || t->tex_h != up->height) {
        if (t->tex) SDL_DestroyTexture(t->tex);
        t->tex = SDL_CreateTexture(d->ren, sdl_format(up->fourcc), SDL_TEXTUREACCESS_STREAMING,
                                   (int)up->width, (int)up->height);
        t->tex_fourcc = up->fourcc;
        t->tex_w = up->width;
        t->tex_h = up->height;
    }
    return t->tex ? up : NULL;
}

static int upload(tile *t, const vrt_frame *f) {
    if (f->fourcc == VRT_FMT_NV12)
        return SDL_UpdateNVTexture(t->tex, NULL, f->planes[0].data, (int)f->planes[0].stride,
                                   f->planes[1].data, (int)f->planes[1].stride);
    return SDL_UpdateTexture(t->tex, NULL, f->planes[0].data, (int)f->planes[0].stride);
}

/* Every tile's newest frame, fitted into its cell with its aspect kept. */
static void draw_tiles(display *d) {
    SDL_SetRenderDrawColor(d->ren, 0, 0, 0, 255);
    SDL_RenderClear(d->ren);
    for (int i = 0; i < d->ntiles; i++) {
        const tile *t = &d->tiles[i];
        if (!t->tex) continue;
        double k = (double)d->cell_w / t->tex_w;
        if (t->tex_h * k > d->cell_h) k = (double)d->cell_h / t->tex_h;
        SDL_Rect r;
        r.w = (int)(t->tex_w * k + 0.5), r.h = (int)(t->tex_h * k + 0.5);
        r.x = (int)(i % d->cols) * (int)d->cell_w + ((int)d->cell_w - r.w) / 2;
        r.y = (int)(i / d->cols) * (int)d->cell_h + ((int)d->cell_h - r.h) / 2;
        SDL_RenderCopy(d->ren, t->tex, NULL, &r);
    }
}

/* The title's note on the result: the top class, or the number of detections. */
static void note_result(display *d, const vrt_pipeline_result *r) {
    d->label[0] = 0;
    if (!r->result) return;
    int n = vrt_result_count(r->result);
    if (vrt_result_kind(r->result) == VRT_RESULT_CLASSES && n > 0) {
        int index = -1;
        float score = 0;
        vrt_result_class(r->result, 0, &index, &score);
        const char *l = vrt_result_label(r->result, 0);
        if (l)
            snprintf(d->label, sizeof(d->label), " - %s %.2f", l, score);
        else
            snprintf(d->label, sizeof(d->label), " - class %d %.2f", index, score);
        return;
    }
    if (vrt_result_kind(r->result) != VRT_RESULT_DETECTIONS) return;
    snprintf(d->label, sizeof(d->label), " - %d detections", n);
}

/* The window's events: closing it, q or Esc ask the run to stop. */
static void pump(display *d) {
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        if (e.type == SDL_QUIT || (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE))
            vrt_pipeline_request_stop(d->p, "window closed");
        else if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_q)
            vrt_pipeline_request_stop(d->p, "key q");
        else if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE)
            vrt_pipeline_request_stop(d->p, "key Esc");
    }
}

static void update_title(display *d) {
    int64_t now = vrt_now_ns();
    d->fps_n++;
    if (now - d->fps_t0 < 500000000) return;
    d->fps = (double)d->fps_n * 1e9 / (double)(now - d->fps_t0);
    d->fps_t0 = now;
    d->fps_n = 0;
    char t[256];
    snprintf(t, sizeof(t), "vrt %s - %.1f fps%s", d->name, d->fps, d->label);
    SDL_SetWindowTitle(d->win, t);
}

static void display_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    (void)p;
    display *d = ctx;
    const vrt_frame *f = r->frame;
    const vrt_frame *up = NULL;
    if (d->stream >= 0 && r->stream != d->stream) return;
    int i = d->stream >= 0 ? 0 : r->stream;
    if (f && make_window(d, f->width, f->height)) f = NULL;
    if (i < 0 || i >= (d->win ? d->ntiles : VRT_PIPELINE_MAX_STREAMS)) return; /* a stream added late */
    tile *t = &d->tiles[i];
    char e[200];
    if (f && d->annotate && !t->ann_ready) { /* this thread, once per stream: not the frame path */
        if (vrt__annotator_init(&t->ann, &d->ovp, e, sizeof(e)))
            vrt__annotator_free(&t->ann);
        else
            t->ann_ready = 1;
    }
    if (f && d->annotate) {
        vrt_frame *pic = NULL;
        f = !t->ann_ready || vrt__annotate(&t->ann, r, &pic, e, sizeof(e)) ? NULL : pic;
    }
    if (!f || !(up = texture_for(d, t, f)) || upload(t, up)) {
        atomic_fetch_add(&d->lost, 1);
        if (d->win) pump(d);
        return;
    }
    draw_tiles(d);
    note_result(d, r);
    SDL_RenderPresent(d->ren);
    update_title(d);
    pump(d);
}

static void display_idle(void *ctx, const vrt_pipeline_t *p) {
    (void)p;
    display *d = ctx;
    if (d->win) pump(d);
}

static void display_stats(void *ctx, vrt_pipeline_output_stats *st) {
    display *d = ctx;
    st->lost = atomic_load(&d->lost);
    snprintf(st->detail, sizeof(st->detail), "window %ux%u (%d tile%s), %s video, %s renderer, %.1f fps",
             d->win_w, d->win_h, d->ntiles, d->ntiles == 1 ? "" : "s", d->driver,
             d->renderer[0] ? d->renderer : "no", d->fps);
}

static void display_destroy(void *ctx) {
    display *d = ctx;
    for (int i = 0; i < VRT_PIPELINE_MAX_STREAMS; i++) {
        tile *t = &d->tiles[i];
        if (t->tex) SDL_DestroyTexture(t->tex);
        vrt_frame_unref(&t->rgb);
        if (t->ann_ready) vrt__annotator_free(&t->ann);
    }
    if (d->ren) SDL_DestroyRenderer(d->ren);
    if (d->win) SDL_DestroyWindow(d->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    vrt_free(d);
    atomic_flag_clear(&g_window_taken);
}

/* SDL's video subsystem on a display that shows something, and screen `index` on it. */
static vrt_status display_init(const char *path, long index, char *err, size_t cap) {
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* Ctrl-C stays the program's */
    SDL_SetHint(SDL_HINT_RENDER_VSYNC, "0");       /* never wait for vsync on the way to the screen */
    if (SDL_InitSubSystem(SDL_INIT_VIDEO)) {
        vrt_errbuf_set(err, cap,
                       "display:%s: no display available (SDL: %s); set DISPLAY to an X server (or run "
                       "under xvfb-run), or leave the window out (--headless, another -o)",
                       path, SDL_GetError());
        return VRT_ENODEV;
    }
    /* Without a display server SDL falls back to a driver that shows nothing (offscreen, dummy):
     * refused, unless SDL_VIDEODRIVER (SDL's own variable, read through its hint) asked for
     * 'offscreen', which still makes the window, renders and presents into memory, so a machine
     * without a display server can run and time the whole display path. */
    const char *driver = SDL_GetCurrentVideoDriver();
    const char *asked = SDL_GetHint(SDL_HINT_VIDEODRIVER);
    int offscreen = driver && !strcmp(driver, "offscreen");
    if (!driver || !strcmp(driver, "dummy") || (offscreen && !(asked && strstr(asked, "offscreen")))) {
        vrt_errbuf_set(err, cap,
                       "display:%s: no display available (SDL found only its '%s' video driver); set DISPLAY "
                       "to an X server (or run under xvfb-run; SDL_VIDEODRIVER=offscreen: a window drawn in "
                       "memory, shown "
                       "nowhere), or leave the window out (--headless, another -o)",
                       path, driver ? driver : "no");
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return VRT_ENODEV;
    }
    int screens = SDL_GetNumVideoDisplays();
    if (index >= screens) {
        vrt_errbuf_set(err, cap, "display:%s: no screen %ld (this display has %d: display://0..%d)", path,
                       index, screens, screens - 1);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return VRT_ENODEV;
    }
    return VRT_OK;
}

static vrt_status display_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                               const vrt_sink_params *sp, char *err, size_t cap) {
    /* end stays inside the string: "display:0" (path "0") must not be read past its NUL */
    const int slashes = !strncmp(path, "//", 2);
    char *end = (char *)path + (slashes ? 2 : 0);
    long index = 0, stream = -1;
    if (slashes && path[2] && path[2] != '?') index = strtol(path + 2, &end, 10);
    if (!strncmp(end, "?stream=", 8)) {
        const char *k = end + 8;
        stream = strtol(k, &end, 10);
        if (end == k) stream = -2;
    }
    if (strncmp(path, "//", 2) || index < 0 || stream < -1 || stream >= VRT_PIPELINE_MAX_STREAMS || *end) {
        vrt_errbuf_set(err, cap,
                       "display:%s: expected display://N[?stream=K] (N: the screen; every stream is shown, "
                       "tiled, unless K names the one to show; e.g. display://0)",
                       path);
        return VRT_EINVAL;
    }
    if (atomic_flag_test_and_set(&g_window_taken)) {
        vrt_errbuf_set(
            err, cap,
            "display:%s: only one display:// output at a time (SDL drives one window per "
            "process); show another stream (?stream=K) in another run, or use http:// for more views",
            path);
        return VRT_EBUSY;
    }
    vrt_status st = display_init(path, index, err, cap);
    if (st) {
        atomic_flag_clear(&g_window_taken);
        return st;
    }
    display *d = vrt_calloc(1, sizeof(*d));
    if (!d) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        atomic_flag_clear(&g_window_taken);
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    d->p = p;
    d->index = (int)index;
    d->stream = (int)stream;
    d->annotate = !sp->overlay || sp->overlay->flags != 0;
    char e[200];
    /* Tile 0's overlay now, so a bad option fails at open; the other tiles' at their first frame. */
    if (d->annotate && (st = vrt__annotator_init(&d->tiles[0].ann, sp->overlay, e, sizeof(e)))) {
        vrt__annotator_free(&d->tiles[0].ann);
        vrt_errbuf_set(err, cap, "display:%s: overlay: %s", path, e);
        display_destroy(d);
        return st;
    }
    if (d->annotate) {
        d->tiles[0].ann_ready = 1;
        d->ovp = d->tiles[0].ann.params;
    }
    snprintf(d->driver, sizeof(d->driver), "%s", SDL_GetCurrentVideoDriver());
    if (stream >= 0)
        snprintf(d->name, sizeof(d->name), "display://%d?stream=%d", d->index, d->stream);
    else
        snprintf(d->name, sizeof(d->name), "display://%d", d->index);
    o->name = d->name;
    /* Only the newest frame is worth showing: of each stream, when the window shows several (up to
     * 4 waiting: each waiting result holds a frame copy of every stream's pool). */
    int n = vrt_pipeline_num_streams(p);
    o->depth = stream >= 0 || n <= 1 ? 1 : n < 4 ? n : 4;
    o->want_frame = 1;
    o->overlay = d->annotate ? &d->ovp : NULL; /* the CUDA pipeline then draws it on the GPU */
    o->ctx = d;
    o->write = display_write;
    o->idle = display_idle;
    o->stats = display_stats;
    o->destroy = display_destroy;
    return VRT_OK;
}
#define DISPLAY_AVAILABLE 1
#else
static vrt_status display_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                               const vrt_sink_params *sp, char *err, size_t cap) {
    (void)p, (void)o, (void)sp;
    char uri[300];
    snprintf(uri, sizeof(uri), "display:%s", path);
    return vrt__sink_missing(uri, "display window", "SDL2 (libsdl2-dev)", err, cap);
}
#define DISPLAY_AVAILABLE 0
#endif

const vrt__sink_kind vrt__sink_display = {
    .scheme = "display",
    .extensions = "",
    .example = "display://0",
    .available = DISPLAY_AVAILABLE,
    .open = display_open,
};
