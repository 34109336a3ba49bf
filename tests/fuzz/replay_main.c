/*
 * Plain driver for the fuzz targets (fuzz_onnx.c, fuzz_image.c, fuzz_text.c,
 * fuzz_engine.c; one replay binary each): feeds every file under the given paths
 * (files or folders, recursively; at most MAX_FILES), plus deterministic
 * mutations of each (truncations, byte flips, varint-length bumps), through
 * LLVMFuzzerTestOneInput. A crash or sanitizer report fails the test.
 * Files named *.hex hold the input as hex text (the repository keeps its
 * seeds and regressions as text): '#' lines are comments, whitespace is
 * ignored. `fuzz_onnx_replay --unhex OUTDIR FILE...` writes them back as
 * binary files (the libFuzzer corpus; scripts/quickstart).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vrt/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 80
#define MAX_SIZE (4u << 20)

static int g_files, g_runs;

static uint64_t rng(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes hex text in place ('#' to the end of a line is a comment);
 * returns the byte count or -1 on a stray character / odd digit count. */
static long unhex(uint8_t *buf, size_t n) {
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < n; i++) {
        int c = buf[i];
        if (c == '#') {
            while (i < n && buf[i] != '\n')
                i++;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        int v = hexval(c);
        if (v < 0) return -1;
        if (hi < 0) {
            hi = v;
        } else {
            buf[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (long)o : -1;
}

/* The input a file holds (hex decoded for *.hex); NULL when unreadable. */
static uint8_t *load(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n >= 0 && (unsigned long)n <= MAX_SIZE ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    if (ends_with(path, ".hex") && (n = unhex(buf, (size_t)n)) < 0) {
        fprintf(stderr, "fuzz replay: %s is not hex text\n", path);
        exit(1);
    }
    *len = (size_t)n;
    return buf;
}

static void run_file(const char *path, int mutate) {
    size_t len = 0;
    uint8_t *buf = load(path, &len), *mut = buf ? malloc(len + 1) : NULL;
    if (!buf || !mut) {
        free(buf);
        free(mut);
        return;
    }
    g_files++;
    /* Exact copies in a tight buffer so ASan sees any over-read. */
    memcpy(mut, buf, len);
    LLVMFuzzerTestOneInput(mut, len);
    g_runs++;
    if (mutate && len > 0) {
        uint64_t s = 0x9e3779b97f4a7c15ull ^ len;
        for (int i = 0; i < 24; i++) { /* truncations */
            size_t cut = (size_t)(rng(&s) % len);
            uint8_t *t = malloc(cut + 1);
            memcpy(t, buf, cut);
            LLVMFuzzerTestOneInput(t, cut);
            free(t);
            g_runs++;
        }
        for (int i = 0; i < 48; i++) { /* flips and 0xff bytes (huge varints / lengths) */
            memcpy(mut, buf, len);
            int k = 1 + (int)(rng(&s) % 4);
            for (int j = 0; j < k; j++) {
                size_t at = (size_t)(rng(&s) % len);
                mut[at] = (i & 1) ? (uint8_t)rng(&s) : 0xff;
            }
            LLVMFuzzerTestOneInput(mut, len);
            g_runs++;
        }
    }
    free(buf);
    free(mut);
}

static void walk(const char *path, int mutate) {
    struct stat st;
    if (g_files >= MAX_FILES || stat(path, &st)) return;
    if (S_ISREG(st.st_mode)) {
        run_file(path, mutate);
        return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    char **names = NULL;
    size_t nn = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (nn + 1) * sizeof(char *));
        names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    /* Sorted: the same files every run. */
    for (size_t i = 0; i < nn; i++)
        for (size_t j = i + 1; j < nn; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    for (size_t i = 0; i < nn; i++) {
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", path, names[i]);
        size_t l = strlen(names[i]);
        int model = l > 4 && (ends_with(names[i], ".onnx") || ends_with(names[i], ".pb") ||
                              ends_with(names[i], ".hex") || ends_with(names[i], ".jpg") ||
                              ends_with(names[i], ".png") || ends_with(names[i], ".conf") ||
                              ends_with(names[i], ".txt"));
        struct stat s2;
        if (!stat(sub, &s2) && S_ISDIR(s2.st_mode))
            walk(sub, mutate);
        else if (model || !mutate)
            run_file(sub, mutate);
        free(names[i]);
    }
    free(names);
}

/* --unhex OUTDIR FILE...: OUTDIR/NAME (NAME without .hex) holds the bytes. */
static int unhex_files(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        uint8_t *buf = load(argv[i], &len);
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        char out[4096];
        snprintf(out, sizeof(out), "%s/%.*s", argv[0],
                 (int)(strlen(base) - (ends_with(base, ".hex") ? 4 : 0)), base);
        FILE *f = buf ? fopen(out, "wb") : NULL;
        int ok = f && fwrite(buf, 1, len, f) == len;
        if (f) ok &= fclose(f) == 0;
        free(buf);
        if (!ok) {
            fprintf(stderr, "fuzz replay: cannot write %s from %s\n", out, argv[i]);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "--unhex")) return unhex_files(argc - 2, argv + 2);
    /* Silence library logging: inputs are expected to fail. */
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR);
    for (int i = 1; i < argc; i++) {
        /* "-r DIR": replay as is (regressions); otherwise seeds to mutate. */
        if (!strcmp(argv[i], "-r") && i + 1 < argc) {
            walk(argv[++i], 0);
            continue;
        }
        walk(argv[i], 1);
    }
    printf("fuzz replay: %d files, %d runs, no crash\n", g_files, g_runs);
    return g_files > 0 ? 0 : 77;
}
