/* writer.c - vrt/writer.h: the target's form picks images (one file, a
 * folder, numbered files; vrt_image_save) or a video (video.c, FFmpeg). */
#include "writer-impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vrt/image.h"

struct vrt_writer {
    vrt_writer_kind kind;
    vrt_writer_params p;
    char target[1024];
    char ext[8]; /* image type without the dot */
    uint64_t frames;
    vrt__video *video;
};

static const char *const k_image_exts[] = {"jpg", "jpeg", "png", "ppm", "pgm"};
static const char *const k_video_exts[] = {"mp4", "mkv", "avi", "mov"};

void vrt_writer_default_params(vrt_writer_params *p) {
    memset(p, 0, sizeof(*p));
    p->quality = 90;
    p->folder_ext = "jpg";
    p->fps = 30;
}

static const char *ext_of(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static int in_list(const char *e, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(e, list[i])) return 1;
    return 0;
}
#define IN(e, list) in_list(e, list, sizeof(list) / sizeof(list[0]))

/* 1: exactly one printf integer conversion (%d, %06d, %u, %llu ...) and no other '%' but "%%". */
static int is_pattern(const char *s) {
    int convs = 0;
    for (const char *p = strchr(s, '%'); p; p = strchr(p, '%')) {
        p++;
        if (*p == '%') {
            p++;
            continue;
        }
        while (*p >= '0' && *p <= '9')
            p++;
        while (*p == 'l')
            p++;
        if (*p != 'd' && *p != 'u') return 0;
        convs++;
    }
    return convs == 1;
}

static int has_percent(const char *s) {
    return strchr(s, '%') != NULL;
}

int vrt_writer_recognizes(const char *t) {
    if (!t || !t[0]) return 0;
    size_t n = strlen(t);
    if (t[n - 1] == '/') return 1;
    const char *e = ext_of(t);
    if (has_percent(t)) return is_pattern(t) && IN(e, k_image_exts);
    return IN(e, k_image_exts) || IN(e, k_video_exts);
}

static int mkdirs(const char *path) {
    char tmp[1024];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -errno;
    struct stat st;
    if (stat(tmp, &st) != 0) return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* The folder part of path ("." when none) must be a writable folder. */
static vrt_status check_parent(const char *target, char *err, size_t cap) {
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", target);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        vrt_errbuf_set(err, cap, "output '%s': '%s' %s", target, dir,
                       stat(dir, &st) ? "does not exist; create the folder first" : "is not a folder");
        return VRT_ENOENT;
    }
    if (access(dir, W_OK) != 0) {
        vrt_errbuf_set(err, cap, "output '%s': folder '%s' is not writable (%s)", target, dir,
                       strerror(errno));
        return VRT_EACCES;
    }
    return VRT_OK;
}

static vrt_status classify(vrt_writer_t *w, const char *t, char *err, size_t cap) {
    size_t n = strlen(t);
    const char *e = ext_of(t);
    if (t[n - 1] == '/') {
        w->kind = VRT_WRITER_FOLDER;
        const char *fe = w->p.folder_ext && w->p.folder_ext[0] ? w->p.folder_ext : "jpg";
        if (!IN(fe, k_image_exts) && strcasecmp(fe, "raw")) {
            vrt_errbuf_set(err, cap, "output '%s': image type '%s' unknown; use jpg, png, ppm or raw", t, fe);
            return VRT_EINVAL;
        }
        snprintf(w->ext, sizeof(w->ext), "%s", fe);
        int rc = mkdirs(t);
        if (rc) {
            vrt_errbuf_set(err, cap, "output '%s': cannot create the folder (%s)", t, strerror(-rc));
            return VRT_EACCES;
        }
        if (access(t, W_OK) != 0) {
            vrt_errbuf_set(err, cap, "output '%s': the folder is not writable (%s)", t, strerror(errno));
            return VRT_EACCES;
        }
        return VRT_OK;
    }
    if (has_percent(t) && !is_pattern(t)) {
        vrt_errbuf_set(err, cap,
                       "output '%s': a numbered output needs exactly one integer conversion such as %%06d "
                       "(frames/%%06d.jpg); write %%%% for a literal %%",
                       t);
        return VRT_EINVAL;
    }
    if (IN(e, k_image_exts)) {
        w->kind = has_percent(t) ? VRT_WRITER_PATTERN : VRT_WRITER_IMAGE;
        snprintf(w->ext, sizeof(w->ext), "%s", e);
        const char *slash = strrchr(t, '/');
        if (w->kind == VRT_WRITER_PATTERN && slash && slash != t) { /* numbered files: like dir/, made */
            char dir[1024];
            snprintf(dir, sizeof(dir), "%.*s", (int)(slash - t), t);
            int rc = mkdirs(dir);
            if (rc) {
                vrt_errbuf_set(err, cap, "output '%s': cannot create the folder '%s' (%s)", t, dir,
                               strerror(-rc));
                return VRT_EACCES;
            }
        }
        return check_parent(t, err, cap);
    }
    if (IN(e, k_video_exts) && !has_percent(t)) {
        w->kind = VRT_WRITER_VIDEO;
        vrt_status st = check_parent(t, err, cap);
        return st ? st : vrt__video_open(&w->video, t, &w->p, err, cap);
    }
    vrt_errbuf_set(err, cap,
                   "output '%s': unknown kind%s%s; write an image (out.jpg, out.png), a folder (dir/), "
                   "numbered images (frames/%%06d.jpg) or a video (out.mp4, out.mkv, out.avi)",
                   t, e[0] ? " of file ." : "", e);
    return VRT_EINVAL;
}

vrt_status vrt_writer_open(vrt_writer_t **out, const char *target, const vrt_writer_params *p, char *err,
                           size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!target || !target[0]) {
        vrt_errbuf_set(err, cap, "output: no file name given");
        return VRT_EINVAL;
    }
    vrt_writer_t *w = vrt_calloc(1, sizeof(*w));
    if (!w) return VRT_ENOMEM;
    vrt_writer_default_params(&w->p);
    if (p) w->p = *p;
    if (w->p.quality <= 0 || w->p.quality > 100) w->p.quality = 90;
    if (w->p.fps <= 0) w->p.fps = 30;
    if (snprintf(w->target, sizeof(w->target), "%s", target) >= (int)sizeof(w->target)) {
        vrt_free(w);
        vrt_errbuf_set(err, cap, "output '%.64s...': path too long", target);
        return VRT_EINVAL;
    }
    vrt_status st = classify(w, w->target, err, cap);
    if (st) {
        vrt_free(w);
        return st;
    }
    *out = w;
    return VRT_OK;
}

vrt_writer_kind vrt_writer_get_kind(const vrt_writer_t *w) {
    return w ? w->kind : VRT_WRITER_IMAGE;
}

const char *vrt_writer_codec(const vrt_writer_t *w) {
    if (!w) return "";
    if (w->kind == VRT_WRITER_VIDEO) return vrt__video_codec(w->video);
    return w->ext;
}

uint64_t vrt_writer_frames(const vrt_writer_t *w) {
    return w ? w->frames : 0;
}

/* The file an image write goes to. */
static vrt_status image_path(const vrt_writer_t *w, const char *name, char *path, size_t cap, char *err,
                             size_t ecap) {
    int n;
    if (w->kind == VRT_WRITER_IMAGE) {
        n = snprintf(path, cap, "%s", w->target);
    } else if (w->kind == VRT_WRITER_PATTERN) {
        char fmt[1100];
        /* The user's conversion gets an unsigned long long whatever its length modifier. */
        const char *pc = strchr(w->target, '%');
        while (pc && pc[1] == '%')
            pc = strchr(pc + 2, '%');
        const char *conv = pc + 1;
        while (*conv >= '0' && *conv <= '9')
            conv++;
        const char *after = conv;
        while (*after == 'l')
            after++;
        snprintf(fmt, sizeof(fmt), "%.*sllu%s", (int)(conv - w->target), w->target, after + 1);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        n = snprintf(path, cap, fmt, (unsigned long long)w->frames);
#pragma GCC diagnostic pop
    } else if (name && name[0]) {
        const char *base = strrchr(name, '/');
        base = base ? base + 1 : name;
        const char *dot = strrchr(base, '.');
        int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
        n = snprintf(path, cap, "%s%.*s.%s", w->target, len, base, w->ext);
    } else {
        n = snprintf(path, cap, "%sframe_%06llu.%s", w->target, (unsigned long long)w->frames, w->ext);
    }
    if (n < 0 || (size_t)n >= cap) {
        vrt_errbuf_set(err, ecap, "output '%s': file name too long", w->target);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt_writer_write(vrt_writer_t *w, const vrt_frame *f, const char *name, char *path_out,
                            size_t path_cap, char *err, size_t cap) {
    if (!w || !f) return VRT_EINVAL;
    vrt_status st;
    if (w->kind == VRT_WRITER_VIDEO) {
        st = vrt__video_write(w->video, f, err, cap);
        if (!st) w->frames++;
        return st;
    }
    char path[1200];
    st = image_path(w, name, path, sizeof(path), err, cap);
    if (st) return st;
    /* Another name first, then a rename: a reader never sees a half-written image. */
    char tmp[1300];
    snprintf(tmp, sizeof(tmp), "%s.part.%s", path, w->ext);
    st = vrt_image_save(f, tmp, w->p.quality, err, cap);
    if (!st && rename(tmp, path) != 0) {
        vrt_errbuf_set(err, cap, "output '%s': cannot write %s (%s)", w->target, path, strerror(errno));
        st = VRT_EIO;
    }
    if (st) {
        unlink(tmp);
        return st;
    }
    if (path_out && path_cap) snprintf(path_out, path_cap, "%s", path);
    w->frames++;
    return VRT_OK;
}

vrt_status vrt_writer_close(vrt_writer_t **pw, char *err, size_t cap) {
    if (!pw || !*pw) return VRT_OK;
    vrt_writer_t *w = *pw;
    vrt_status st = VRT_OK;
    if (w->video) st = vrt__video_close(&w->video, w->frames == 0, err, cap);
    vrt_free(w);
    *pw = NULL;
    return st;
}
