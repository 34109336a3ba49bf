/*
 * Fuzz target for the text parsers a user hands the library: the model
 * profile (vrt_profile_parse), source URIs (vrt__uri_parse and the typed
 * getters every source uses), label files (vrt_labels_load through a memory
 * file) and label literals (vrt_labels_from_names). The first byte picks the
 * parser; the rest is the text. Replayed by fuzz_text_replay.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/source-impl.h"
#include "fuzz_util.h"
#include "vrt/profile.h"
#include "vrt/vision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void uri(const char *s) {
    vrt__uri u;
    char err[256];
    if (vrt__uri_parse(&u, s, err, sizeof(err)) != VRT_OK) return;
    int64_t i = 0;
    double d = 0;
    static const char *const keys[] = {"width",   "height", "fps",  "format",
                                       "buffers", "loop",   "mode", "frames"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        vrt__uri_get_int(&u, keys[k], &i, err, sizeof(err));
        vrt__uri_get_double(&u, keys[k], &d, err, sizeof(err));
        (void)vrt__uri_get(&u, keys[k]);
    }
    vrt__uri_check_unused(&u, "width, height", err, sizeof(err));
}

static void labels_file(const uint8_t *data, size_t size) {
    char path[64], err[256];
    int fd = vrt_fuzz_memfile(data, size, path, sizeof(path));
    if (fd < 0) return;
    vrt_labels_t *l = NULL;
    if (vrt_labels_load(path, &l, err, sizeof(err)) == VRT_OK) {
        for (int i = 0; i < vrt_labels_count(l) && i < 64; i++)
            (void)vrt_labels_get(l, i);
        vrt_labels_destroy(&l);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int which = data[0] % 4;
    data++, size--;
    char *s = malloc(size + 1); /* NUL-terminated copy for the string APIs */
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char err[256];
    if (which == 0) {
        vrt_profile p;
        vrt_profile_parse(s, size, "fuzz.conf", &p, err, sizeof(err));
    } else if (which == 1) {
        uri(s);
    } else if (which == 2) {
        labels_file(data, size);
    } else {
        vrt_labels_t *l = NULL;
        if (vrt_labels_from_names(s, "fuzz", &l, err, sizeof(err)) == VRT_OK) vrt_labels_destroy(&l);
    }
    free(s);
    return 0;
}
