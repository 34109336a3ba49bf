/* image: still images as a stream. PATH is a JPEG/PNG file, a folder (its
 * .jpg/.jpeg/.png files, sorted by name) or a glob. Every image is decoded
 * at open, in the requested format (default RGB24), and delivered at its own
 * size; 4:2:2 and 4:2:0 formats need even sizes, so an odd last column (and,
 * for NV12, row) is cropped. Frames are paced at fps (default 30; fps=0 in
 * the URI: as fast as possible). At the end: VRT_EOF, or the first image
 * again with loop=1.
 *
 * A delivered frame is a small descriptor pointing at the decoded pixels;
 * the descriptors come from a fixed set made at open, so nothing is
 * allocated or decoded per frame. The decoded images live in a reference-
 * counted store that outlives the source while frames are still held. */
#include "source-impl.h"
#include "vrt/image.h"

#include <dirent.h>
#include <glob.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define KNOWN_KEYS "fps, loop, format, buffers"
#define MAX_DECODED_BYTES ((uint64_t)512 << 20)
#define MAX_IMAGES 100000

typedef struct img_store {
    _Atomic int refs; /* 1 for the source + 1 per frame out */
    int nimages;
    vrt_frame **images;
    int nwrap;
    vrt_frame *wraps;
    _Atomic int *busy;
} img_store;

typedef struct imgsrc {
    img_store *st;
    int64_t period_ns; /* 0: as fast as possible */
    int64_t t0;
    uint64_t k; /* frames delivered so far (sequence of the next one) */
    int loop;
} imgsrc;

static void store_put(img_store *st) {
    if (atomic_fetch_sub(&st->refs, 1) != 1) return;
    for (int i = 0; i < st->nimages; i++)
        vrt_frame_unref(&st->images[i]);
    vrt_free(st->images);
    vrt_free(st->wraps);
    vrt_free((void *)st->busy);
    vrt_free(st);
}

static void wrap_release(void *ctx, vrt_frame *f) {
    img_store *st = ctx;
    atomic_store(&st->busy[f - st->wraps], 0);
    store_put(st);
}

static int has_key(const vrt__uri *u, const char *k) {
    for (int i = 0; i < u->nkeys; i++)
        if (!strcasecmp(u->keys[i], k)) return 1;
    return 0;
}

static int is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct path_list {
    char **v;
    int n, cap;
} path_list;

static void paths_free(path_list *l) {
    for (int i = 0; i < l->n; i++)
        vrt_free(l->v[i]);
    vrt_free(l->v);
    memset(l, 0, sizeof(*l));
}

static vrt_status paths_add(path_list *l, const char *a, const char *b) {
    if (l->n >= MAX_IMAGES) return VRT_ERANGE;
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 64;
        char **v = vrt_realloc(l->v, sizeof(char *) * (size_t)nc);
        if (!v) return VRT_ENOMEM;
        l->v = v;
        l->cap = nc;
    }
    size_t n = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
    char *s = vrt_malloc(n);
    if (!s) return VRT_ENOMEM;
    if (b)
        snprintf(s, n, "%s/%s", a, b);
    else
        snprintf(s, n, "%s", a);
    l->v[l->n++] = s;
    return VRT_OK;
}

/* Fills l with the files PATH names; messages in s->err. */
static vrt_status list_paths(vrt_source_t *s, const char *path, path_list *l) {
    struct stat sb;
    vrt_status st = VRT_OK;
    if (!*path) {
        VRT__SRC_ERR(s, "image: no path; use image:FILE.jpg, image:FOLDER or image:'DIR/*.png'");
        return VRT_EINVAL;
    }
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d) {
            VRT__SRC_ERR(s, "image:%s: cannot open folder", path);
            return VRT_EACCES;
        }
        struct dirent *e;
        while ((e = readdir(d)) && !st)
            if (e->d_name[0] != '.' && is_image_name(e->d_name)) st = paths_add(l, path, e->d_name);
        closedir(d);
        if (!st && !l->n) {
            VRT__SRC_ERR(s,
                         "image:%s: folder has no .jpg, .jpeg or .png files; give a folder with "
                         "images, a file or a glob",
                         path);
            return VRT_ENOENT;
        }
        if (!st) qsort(l->v, (size_t)l->n, sizeof(char *), cmp_str);
    } else if (stat(path, &sb) == 0) {
        st = paths_add(l, path, NULL);
    } else if (strpbrk(path, "*?[")) {
        glob_t g;
        int rc = glob(path, 0, NULL, &g);
        if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
            if (rc == 0) globfree(&g);
            VRT__SRC_ERR(s,
                         "image:%s: no file matches this pattern; check the folder and the "
                         "extension (e.g. 'images/*.jpg')",
                         path);
            return VRT_ENOENT;
        }
        if (rc) {
            VRT__SRC_ERR(s, "image:%s: cannot expand the pattern (glob error %d)", path, rc);
            return VRT_EIO;
        }
        for (size_t i = 0; i < g.gl_pathc && !st; i++)
            if (stat(g.gl_pathv[i], &sb) == 0 && S_ISREG(sb.st_mode)) st = paths_add(l, g.gl_pathv[i], NULL);
        globfree(&g);
        if (!st && !l->n) {
            VRT__SRC_ERR(s, "image:%s: the pattern matches no regular file", path);
            return VRT_ENOENT;
        }
    } else {
        VRT__SRC_ERR(s,
                     "image:%s: no such file or folder; give a JPEG/PNG file, a folder of them, "
                     "or a glob like 'DIR/*.jpg'",
                     path);
        return VRT_ENOENT;
    }
    if (st == VRT_ERANGE)
        VRT__SRC_ERR(s, "image:%s: more than %d images", path, MAX_IMAGES);
    else if (st)
        VRT__SRC_ERR(s, "image:%s: out of memory", path);
    return st;
}

/* Output size of a w x h image in fourcc: odd sizes cropped where the format needs even. */
static void out_size(uint32_t cc, uint32_t *w, uint32_t *h) {
    if (cc == VRT_FMT_YUYV || cc == VRT_FMT_UYVY || cc == VRT_FMT_NV12) *w &= ~1u;
    if (cc == VRT_FMT_NV12) *h &= ~1u;
}

static vrt_status load_one(vrt_source_t *s, const char *path, uint32_t cc, vrt_frame **out) {
    char e[400];
    e[0] = 0;
    vrt_status st;
    uint32_t w, h;
    if ((st = vrt_image_probe(path, &w, &h, e, sizeof(e)))) goto fail;
    uint32_t ow = w, oh = h;
    out_size(cc, &ow, &oh);
    if (cc == VRT_FMT_MJPEG || (ow == w && oh == h)) {
        if ((st = vrt_image_load(path, cc, out, e, sizeof(e)))) goto fail;
        return VRT_OK;
    }
    /* Odd size for a subsampled format: decode to RGB24, convert a cropped view. */
    vrt_frame *rgb = NULL;
    if ((st = vrt_image_load(path, VRT_FMT_RGB24, &rgb, e, sizeof(e)))) goto fail;
    if ((st = vrt_image_alloc(cc, ow, oh, out))) {
        vrt_frame_unref(&rgb);
        snprintf(e, sizeof(e), "%s: %ux%u image cannot be delivered as this format", path, w, h);
        goto fail;
    }
    vrt_frame view = *rgb;
    view.width = ow;
    view.height = oh;
    st = vrt_image_convert(&view, *out, e, sizeof(e));
    vrt_frame_unref(&rgb);
    if (st) {
        vrt_frame_unref(out);
        goto fail;
    }
    return VRT_OK;
fail:
    VRT__SRC_ERR(s, "image: %s%s", e,
                 st == VRT_EBADDATA ? " (remove or replace this file; only JPEG and PNG are read)" : "");
    return st;
}

static vrt_status img_open(vrt_source_t *s, vrt__uri *u, const vrt_source_params *prm) {
    (void)prm;
    imgsrc *p = vrt_calloc(1, sizeof(*p));
    if (!p) return VRT_ENOMEM;
    s->priv = p;
    int fps_in_uri = has_key(u, "fps");
    vrt_status st = vrt__source_common_keys(s, u);
    if (st) return st;
    int64_t loop = s->params.loop, buffers = s->params.buffers;
    if ((st = vrt__uri_get_int(u, "loop", &loop, s->err, sizeof(s->err)))) return st;
    if ((st = vrt__uri_get_int(u, "buffers", &buffers, s->err, sizeof(s->err)))) return st;
    if (buffers < 0 || buffers > 64) {
        VRT__SRC_ERR(s, "image: buffers=%lld out of range (1..64)", (long long)buffers);
        return VRT_EINVAL;
    }
    if ((st = vrt__uri_check_unused(u, KNOWN_KEYS, s->err, sizeof(s->err)))) return st;
    if (s->params.width || s->params.height) {
        VRT__SRC_ERR(s, "image: width/height cannot be set; images are delivered at their own size");
        return VRT_EINVAL;
    }
    s->params.loop = loop != 0;
    s->params.buffers = buffers ? (int)buffers : 8;
    if (!s->params.fourcc) s->params.fourcc = VRT_FMT_RGB24;
    if (!fps_in_uri && s->params.fps == 0) s->params.fps = 30;
    p->loop = s->params.loop;
    p->period_ns = s->params.fps > 0 ? (int64_t)(1e9 / s->params.fps + 0.5) : 0;
    uint32_t cc = s->params.fourcc;
    char nb[8];
    if (!vrt_fourcc_is_raw(cc) && cc != VRT_FMT_MJPEG) {
        VRT__SRC_ERR(s, "image: format %s not supported; use RGB24, BGR24, GREY, YUYV, UYVY, NV12 or MJPEG",
                     vrt_fourcc_name(cc, nb));
        return VRT_EINVAL;
    }
    const char *path = u->path;
    path_list l = {0};
    if ((st = list_paths(s, path, &l))) {
        paths_free(&l);
        return st;
    }
    /* Sizes first, so that a folder too big is refused before decoding it. */
    uint64_t total = 0;
    uint32_t w0 = 0, h0 = 0;
    for (int i = 0; i < l.n; i++) {
        char e[400];
        uint32_t w, h;
        if ((st = vrt_image_probe(l.v[i], &w, &h, e, sizeof(e)))) {
            VRT__SRC_ERR(s, "image: %s%s", e,
                         st == VRT_EBADDATA ? " (remove or replace this file; only JPEG and PNG are read)"
                                            : "");
            paths_free(&l);
            return st;
        }
        out_size(cc, &w, &h);
        if (i == 0) w0 = w, h0 = h;
        total += cc == VRT_FMT_MJPEG ? (uint64_t)w * h : vrt_frame_size_for(cc, w, h);
    }
    if (total > MAX_DECODED_BYTES) {
        VRT__SRC_ERR(s,
                     "image:%s: %d images would take %llu MB decoded, more than the %llu MB limit; "
                     "use fewer or smaller images",
                     path, l.n, (unsigned long long)(total >> 20),
                     (unsigned long long)(MAX_DECODED_BYTES >> 20));
        paths_free(&l);
        return VRT_ENOMEM;
    }
    img_store *sto = vrt_calloc(1, sizeof(*sto));
    if (!sto) {
        paths_free(&l);
        return VRT_ENOMEM;
    }
    atomic_store(&sto->refs, 1);
    p->st = sto;
    sto->nwrap = s->params.buffers;
    sto->images = vrt_calloc((size_t)l.n, sizeof(vrt_frame *));
    sto->wraps = vrt_calloc((size_t)sto->nwrap, sizeof(vrt_frame));
    sto->busy = vrt_calloc((size_t)sto->nwrap, sizeof(_Atomic int));
    if (!sto->images || !sto->wraps || !sto->busy) {
        paths_free(&l);
        VRT__SRC_ERR(s, "image: out of memory");
        return VRT_ENOMEM;
    }
    for (int i = 0; i < l.n; i++) {
        if ((st = load_one(s, l.v[i], cc, &sto->images[i]))) {
            paths_free(&l);
            return st;
        }
        sto->nimages = i + 1;
    }
    paths_free(&l);
    s->info.fourcc = cc;
    s->info.width = w0;
    s->info.height = h0;
    s->info.fps = s->params.fps > 0 ? s->params.fps : 0;
    s->info.frame_count = sto->nimages;
    s->info.driver_timestamps = 0;
    s->info.monotonic_timestamps = 1;
    s->info.buffers = sto->nwrap;
    s->info.mode = VRT_MODE_ALL;
    s->params.mode = VRT_MODE_ALL;
    return VRT_OK;
}

static vrt_status img_start(vrt_source_t *s) {
    imgsrc *p = s->priv;
    p->t0 = vrt_now_ns() - (int64_t)p->k * p->period_ns;
    return VRT_OK;
}

static vrt_status img_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    imgsrc *p = s->priv;
    img_store *sto = p->st;
    if (!p->loop && p->k >= (uint64_t)sto->nimages) return VRT_EOF;
    int64_t now = vrt_now_ns(), ts = now;
    if (p->period_ns) {
        int64_t due = p->t0 + (int64_t)p->k * p->period_ns;
        if (now < due) {
            if (timeout_ms == 0) return VRT_EAGAIN;
            if (timeout_ms > 0 && now + (int64_t)timeout_ms * 1000000 < due) {
                vrt_sleep_until_ns(now + (int64_t)timeout_ms * 1000000);
                return VRT_EAGAIN;
            }
            vrt_sleep_until_ns(due);
        }
        ts = due;
    }
    int wi = -1;
    for (int i = 0; i < sto->nwrap && wi < 0; i++) {
        int zero = 0;
        if (atomic_compare_exchange_strong(&sto->busy[i], &zero, 1)) wi = i;
    }
    if (wi < 0) {
        VRT__SRC_ERR(s,
                     "image:%s: all %d frames are held by the caller; unref frames after use or "
                     "open with a larger buffers=",
                     s->info.name, sto->nwrap);
        return VRT_ENOSPC;
    }
    int idx = (int)(p->k % (uint64_t)sto->nimages);
    const vrt_frame *img = sto->images[idx];
    vrt_frame *f = &sto->wraps[wi];
    memset(f, 0, sizeof(*f));
    f->fourcc = img->fourcc;
    f->width = img->width;
    f->height = img->height;
    f->num_planes = img->num_planes;
    memcpy(f->planes, img->planes, sizeof(f->planes));
    f->bytesused = img->bytesused;
    f->timestamp_ns = ts;
    f->ts_from_driver = 0;
    f->sequence = p->k;
    f->pts_ns = p->period_ns ? (int64_t)p->k * p->period_ns : -1;
    f->memory = VRT_MEM_HOST;
    f->buffer_index = idx; /* which image of the list */
    f->release = wrap_release;
    f->release_ctx = sto;
    f->refs = 1;
    atomic_fetch_add(&sto->refs, 1);
    p->k++;
    *out = f;
    return VRT_OK;
}

static vrt_status img_stop(vrt_source_t *s) {
    (void)s;
    return VRT_OK;
}

static void img_close(vrt_source_t *s) {
    imgsrc *p = s->priv;
    if (!p) return;
    if (p->st) store_put(p->st);
    vrt_free(p);
    s->priv = NULL;
}

const vrt__source_vtbl vrt__source_image = {
    .kind = "image",
    .open = img_open,
    .start = img_start,
    .read = img_read,
    .stop = img_stop,
    .close = img_close,
};
