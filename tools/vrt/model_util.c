/* model_util.c - see model_util.h. */
#include "model_util.h"

#include "core/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VRT_CLI_MODELS_DIR
#define VRT_CLI_MODELS_DIR ""
#endif
#ifndef VRT_CLI_BUILD_DIR
#define VRT_CLI_BUILD_DIR ""
#endif
#ifndef VRT_CLI_INSTALL_MODELS_DIR
#define VRT_CLI_INSTALL_MODELS_DIR ""
#endif

const char *cli_basename(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *cli_dims_str(const int64_t *dims, int ndim, char *buf, size_t cap) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

/* Letters and digits of s (up to the last '.' when cut_ext), lower case. */
static void normalise(const char *s, int cut_ext, char *out, size_t cap) {
    const char *end = cut_ext ? strrchr(s, '.') : NULL;
    if (!end || end == s) end = s + strlen(s);
    size_t n = 0;
    for (const char *p = s; p < end && n + 1 < cap; p++)
        if (isalnum((unsigned char)*p)) out[n++] = (char)tolower((unsigned char)*p);
    out[n] = 0;
}

static int is_dir(const char *p) {
    struct stat st;
    return p && p[0] && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_find_profile(const char *model_path, char *out, size_t out_cap, char *err, size_t cap) {
    char dirs[8][PATH_MAX];
    int nd = 0;
    const char *env = vrt__env_get(VRT__ENV_MODELS_DIR);
    if (env) snprintf(dirs[nd++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        /* The source tree's profiles only for the vrt of the build tree, never an installed one. */
        char bdir[PATH_MAX];
        if (VRT_CLI_MODELS_DIR[0] && realpath(VRT_CLI_BUILD_DIR, bdir) && !strcmp(exe, bdir))
            snprintf(dirs[nd++], PATH_MAX, "%s", VRT_CLI_MODELS_DIR);
        snprintf(dirs[nd++], PATH_MAX, "%.*s/models", PATH_MAX - 8, exe);
        snprintf(dirs[nd++], PATH_MAX, "%.*s/../models", PATH_MAX - 11, exe);
        /* An installed vrt moved with its prefix (PREFIX/bin/vrt, PREFIX/share/visionrt/models). */
        snprintf(dirs[nd++], PATH_MAX, "%.*s/../share/visionrt/models", PATH_MAX - 26, exe);
    }
    if (VRT_CLI_INSTALL_MODELS_DIR[0]) snprintf(dirs[nd++], PATH_MAX, "%s", VRT_CLI_INSTALL_MODELS_DIR);
    snprintf(dirs[nd++], PATH_MAX, "models");
    const char *slash = strrchr(model_path, '/');
    if (slash)
        snprintf(dirs[nd++], PATH_MAX, "%.*s", (int)(slash - model_path), model_path);
    else
        snprintf(dirs[nd++], PATH_MAX, ".");

    char want[256], best_stem[256] = "";
    normalise(cli_basename(model_path), 1, want, sizeof(want));
    size_t best = 0;
    char found[1024] = "";
    size_t fl = 0;
    char searched[2048] = "";
    size_t sl = 0;
    for (int d = 0; d < nd; d++) {
        if (!is_dir(dirs[d])) continue;
        char real[PATH_MAX];
        if (!realpath(dirs[d], real)) continue;
        int dup = 0;
        for (int e = 0; e < d && !dup; e++) {
            char r2[PATH_MAX];
            dup = is_dir(dirs[e]) && realpath(dirs[e], r2) && !strcmp(r2, real);
        }
        if (dup) continue;
        if (sl < sizeof(searched))
            sl += (size_t)snprintf(searched + sl, sizeof(searched) - sl, "%s%s", sl ? ", " : "", dirs[d]);
        DIR *dir = opendir(dirs[d]);
        if (!dir) continue;
        struct dirent *de;
        while ((de = readdir(dir))) {
            size_t len = strlen(de->d_name);
            if (len < 6 || strcmp(de->d_name + len - 5, ".conf")) continue;
            char stem[256];
            normalise(de->d_name, 1, stem, sizeof(stem));
            if (!stem[0]) continue;
            if (fl < sizeof(found) && !strstr(found, de->d_name))
                fl += (size_t)snprintf(found + fl, sizeof(found) - fl, "%s%s", fl ? ", " : "", de->d_name);
            size_t sn = strlen(stem);
            if (sn > best && !strncmp(want, stem, sn)) {
                best = sn;
                snprintf(best_stem, sizeof(best_stem), "%s", stem);
                snprintf(out, out_cap, "%s/%s", dirs[d], de->d_name);
            }
        }
        closedir(dir);
    }
    if (best) return 0;
    snprintf(err, cap,
             "%s: no profile matches this model's name (a profile models/NAME.conf matches model files "
             "whose name starts with NAME); profiles found: %s (searched %s); give one with --profile FILE",
             model_path, found[0] ? found : "none", searched[0] ? searched : "no folder");
    return -1;
}

int cli_check_model_file(const char *model_path, char *err, size_t cap) {
    struct stat st;
    const char *why = NULL;
    if (stat(model_path, &st) != 0)
        why = errno == ENOENT ? "no such file" : strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = "is a directory, not an ONNX file";
    else if (!S_ISREG(st.st_mode))
        why = "is not a regular file";
    if (!why) {
        int fd = open(model_path, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
            why = errno == EACCES ? "permission denied (cannot read it)" : strerror(errno);
        else
            close(fd);
    }
    if (!why) return 0;
    snprintf(err, cap, "model %s: %s", model_path, why);
    return -1;
}

int cli_load_profile(const char *model_path, const char *arg, vrt_profile *p, char *path, size_t path_cap,
                     char *err, size_t cap) {
    char e[2048] = "", e2[1024] = "";
    if (arg) {
        snprintf(path, path_cap, "%s", arg);
        if (vrt_profile_load(arg, p, e, sizeof(e)) == VRT_OK) return 0;
        snprintf(err, cap, strncmp(e, arg, strlen(arg)) ? "profile %s: %s" : "%.0s%s", arg, e);
        return -1;
    }
    if (cli_find_profile(model_path, path, path_cap, e, sizeof(e)) == 0) {
        if (vrt_profile_load(path, p, e2, sizeof(e2)) == VRT_OK) return 0;
        snprintf(err, cap, strncmp(e2, path, strlen(path)) ? "profile %s: %s" : "%.0s%s", path, e2);
        return -1;
    }
    vrt_status st = vrt_profile_from_model(model_path, p, e2, sizeof(e2));
    if (st == VRT_OK) {
        snprintf(path, path_cap, "model metadata");
        return 0;
    }
    if (st == VRT_ENOENT)
        snprintf(err, cap, "%s", e); /* no metadata task either: the name-matching message says what to do */
    else
        snprintf(err, cap, "%s", e2);
    return -1;
}
