/*
 * Plain driver for fuzz_onnx.c: feeds every file under the given paths
 * (files or folders, recursively; at most MAX_FILES), plus deterministic
 * mutations of each (truncations, byte flips, varint-length bumps), through
 * LLVMFuzzerTestOneInput. A crash or sanitizer report fails the test.
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

static void run_file(const char *path, int mutate) {
    FILE *f = fopen(path, "rb");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || (unsigned long)n > MAX_SIZE) {
        fclose(f);
        return;
    }
    uint8_t *buf = malloc((size_t)n + 1), *mut = malloc((size_t)n + 1);
    if (!buf || !mut || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        free(mut);
        return;
    }
    fclose(f);
    g_files++;
    size_t len = (size_t)n;
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
        int model = l > 5 && (!strcmp(names[i] + l - 5, ".onnx") || !strcmp(names[i] + l - 3, ".pb"));
        struct stat s2;
        if (!stat(sub, &s2) && S_ISDIR(s2.st_mode)) walk(sub, mutate);
        else if (model || !mutate) run_file(sub, mutate);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
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
