/* ONNX metadata_props (ModelProto field 14: StringStringEntryProto key 1,
 * value 2) read from a model file without loading its graph: the top-level
 * fields are walked with their lengths and every field but 14 is skipped
 * with a seek, so a 200 MB model costs a few reads. See vrt/model.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "model/pb.h"
#include "vrt/model.h"

/* Bounds: exporters write a handful of short entries (Ultralytics: ~12,
 * names of 80 classes ~1 KB); anything far beyond is not metadata we use. */
#define MD_MAX_ENTRIES 256
#define MD_MAX_ENTRY_BYTES (1u << 20)

struct vrt_model_metadata {
    int count;
    char *keys[MD_MAX_ENTRIES];
    char *values[MD_MAX_ENTRIES];
};

void vrt_model_metadata_destroy(vrt_model_metadata_t **pm) {
    if (!pm || !*pm) return;
    for (int i = 0; i < (*pm)->count; i++) {
        vrt_free((*pm)->keys[i]);
        vrt_free((*pm)->values[i]);
    }
    vrt_free(*pm);
    *pm = NULL;
}

int vrt_model_metadata_count(const vrt_model_metadata_t *m) {
    return m ? m->count : 0;
}

const char *vrt_model_metadata_key(const vrt_model_metadata_t *m, int i) {
    return m && i >= 0 && i < m->count ? m->keys[i] : NULL;
}

const char *vrt_model_metadata_get(const vrt_model_metadata_t *m, const char *key) {
    for (int i = 0; m && key && i < m->count; i++)
        if (!strcmp(m->keys[i], key)) return m->values[i];
    return NULL;
}

/* One varint from the file; -1 at a clean end of file before the first byte. */
static int read_varint(FILE *f, uint64_t *v) {
    *v = 0;
    for (int i = 0; i < 10; i++) {
        int c = fgetc(f);
        if (c == EOF) return i == 0 ? -1 : -2;
        *v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) return 0;
    }
    return -2;
}

static char *dup_field(const vrt__pb_field *f) {
    char *s = vrt_malloc(f->len + 1);
    if (!s) return NULL;
    memcpy(s, f->data, f->len);
    s[f->len] = 0;
    return s;
}

/* One StringStringEntryProto appended to m. */
static vrt_status add_entry(vrt_model_metadata_t *m, const uint8_t *buf, size_t len) {
    vrt__pb r;
    vrt__pb_field f, key = {0}, val = {0};
    vrt__pb_init(&r, buf, len);
    vrt_status st;
    while ((st = vrt__pb_next(&r, &f)) == VRT_OK) {
        if (f.wire != VRT__PB_LEN) continue;
        if (f.num == 1) key = f;
        if (f.num == 2) val = f;
    }
    if (st != VRT_EOF) return VRT_EBADDATA;
    if (m->count >= MD_MAX_ENTRIES) return VRT_OK; /* the rest is ignored */
    char *k = dup_field(&key), *v = dup_field(&val);
    if (!k || !v) {
        vrt_free(k);
        vrt_free(v);
        return VRT_ENOMEM;
    }
    m->keys[m->count] = k;
    m->values[m->count++] = v;
    return VRT_OK;
}

static vrt_status walk(FILE *f, const char *path, vrt_model_metadata_t *m, char *err, size_t cap) {
    uint8_t *buf = NULL;
    for (;;) {
        uint64_t tag, len;
        int rc = read_varint(f, &tag);
        if (rc == -1) break;
        int wire = (int)(tag & 7);
        if (rc || tag >> 3 == 0) goto bad;
        if (wire == VRT__PB_VARINT) {
            if (read_varint(f, &len)) goto bad;
            continue;
        }
        if (wire == VRT__PB_FIXED64 || wire == VRT__PB_FIXED32) {
            if (fseek(f, wire == VRT__PB_FIXED64 ? 8 : 4, SEEK_CUR)) goto bad;
            continue;
        }
        if (wire != VRT__PB_LEN || read_varint(f, &len) || len > (uint64_t)INT64_MAX / 2) goto bad;
        if (tag >> 3 != 14 || len > MD_MAX_ENTRY_BYTES) {
            if (fseeko(f, (off_t)len, SEEK_CUR)) goto bad;
            continue;
        }
        buf = vrt_malloc(len ? (size_t)len : 1);
        if (!buf) {
            vrt_errbuf_set(err, cap, "%s: out of memory reading metadata", path);
            return VRT_ENOMEM;
        }
        if (fread(buf, 1, (size_t)len, f) != (size_t)len || add_entry(m, buf, (size_t)len)) goto bad;
        vrt_free(buf);
        buf = NULL;
    }
    return VRT_OK;
bad:
    vrt_free(buf);
    vrt_errbuf_set(err, cap, "%s: not an ONNX model (malformed protobuf at byte %lld)", path,
                   (long long)ftello(f));
    return VRT_EBADDATA;
}

vrt_status vrt_model_metadata_load(const char *path, vrt_model_metadata_t **out, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    struct stat sb;
    if (!path || stat(path, &sb) != 0) {
        vrt_errbuf_set(err, cap, "%s: %s", path ? path : "(null)", strerror(errno));
        return VRT_ENOENT;
    }
    if (!S_ISREG(sb.st_mode)) {
        vrt_errbuf_set(err, cap, "%s: not a regular file", path);
        return VRT_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        vrt_errbuf_set(err, cap, "%s: %s", path, strerror(errno));
        return errno == EACCES ? VRT_EACCES : VRT_EIO;
    }
    vrt_model_metadata_t *m = vrt_calloc(1, sizeof(*m));
    vrt_status st = m ? walk(f, path, m, err, cap) : VRT_ENOMEM;
    fclose(f);
    if (st) {
        vrt_model_metadata_destroy(&m);
        return st;
    }
    *out = m;
    return VRT_OK;
}
