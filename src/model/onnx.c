/*
 * ONNX reader: ModelProto bytes -> vrt__ir (see ir.h). Uses the bounds-checked
 * wire decoder in pb.c; nothing here indexes the input buffer directly.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked.h"
#include "model/lowp.h"
#include "model/internal.h"
#include "model/pb.h"

/* Upper bounds that keep a hostile file from asking for absurd memory. */
#define MAX_ELEMS ((size_t)1 << 31) /* per tensor */
#define MAX_LIST ((size_t)1 << 24)  /* attribute list entries */
#define MAX_FILE ((size_t)4 << 30)  /* model file size */

typedef struct ctx {
    vrt__ir *ir;
    char *err;
    size_t cap;
    const char *dir; /* NULL: external data refused */
    /* name -> tensor index hash (open addressing, power-of-two size) */
    int *hash;
    size_t hcap;
} ctx;

static vrt_status fail(ctx *c, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static vrt_status fail(ctx *c, vrt_status st, const char *fmt, ...) {
    if (c->err && c->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->cap, fmt, ap);
        va_end(ap);
    }
    return st;
}

static char *dup_bytes(const uint8_t *p, size_t n) {
    char *s = vrt_malloc(n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static int str_eq(const vrt__pb_field *f, const char *s) {
    size_t n = strlen(s);
    return f->wire == VRT__PB_LEN && f->len == n && !memcmp(f->data, s, n);
}

/* ---- tensor table -------------------------------------------------------- */

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static vrt_status hash_insert(ctx *c, int idx);

static vrt_status hash_grow(ctx *c) {
    size_t ncap = c->hcap ? c->hcap * 2 : 256;
    int *h = vrt_malloc(ncap * sizeof(int));
    if (!h) return VRT_ENOMEM;
    for (size_t i = 0; i < ncap; i++)
        h[i] = -1;
    vrt_free(c->hash);
    c->hash = h;
    c->hcap = ncap;
    for (int i = 0; i < c->ir->n_tensors; i++)
        if (hash_insert(c, i)) return VRT_ENOMEM;
    return VRT_OK;
}

static vrt_status hash_insert(ctx *c, int idx) {
    size_t m = c->hcap - 1, i = hash_str(c->ir->tensors[idx].name) & m;
    while (c->hash[i] >= 0) {
        if (c->hash[i] == idx) return VRT_OK;
        i = (i + 1) & m;
    }
    c->hash[i] = idx;
    return VRT_OK;
}

static int lookup(ctx *c, const char *name) {
    if (!c->hcap) return -1;
    size_t m = c->hcap - 1, i = hash_str(name) & m;
    while (c->hash[i] >= 0) {
        if (!strcmp(c->ir->tensors[c->hash[i]].name, name)) return c->hash[i];
        i = (i + 1) & m;
    }
    return -1;
}

static int add_named(ctx *c, const char *name) {
    int idx = vrt__ir_add_tensor(c->ir, name);
    if (idx < 0) return -1;
    /* Growing re-inserts every tensor, idx included. */
    if ((size_t)(c->ir->n_tensors) * 2 > c->hcap) {
        if (hash_grow(c)) return -1;
    } else if (hash_insert(c, idx)) {
        return -1;
    }
    return idx;
}

/* ---- TensorProto ------------------------------------------------------------ */

typedef struct raw_tensor {
    int64_t dims[VRT__MAX_DIMS];
    int ndim;
    int too_many_dims;
    int64_t data_type;
    const uint8_t *raw;
    size_t raw_len;
    int has_raw;
    uint32_t *f32;
    size_t n_f32, c_f32;
    int64_t *i32; /* int32_data (varints) */
    size_t n_i32, c_i32;
    int64_t *i64;
    size_t n_i64, c_i64;
    uint64_t *f64;
    size_t n_f64, c_f64;
    int64_t *u64;
    size_t n_u64, c_u64;
    int64_t location;
    const uint8_t *ext_loc;
    size_t ext_loc_len;
    int has_ext_loc;
    int64_t ext_offset, ext_length;
    char *name;
    int has_segment;
} raw_tensor;

static void raw_free(raw_tensor *r) {
    vrt_free(r->f32);
    vrt_free(r->i32);
    vrt_free(r->i64);
    vrt_free(r->f64);
    vrt_free(r->u64);
    vrt_free(r->name);
}

static vrt_status parse_ext_entry(ctx *c, const vrt__pb *parent, const vrt__pb_field *f, raw_tensor *r) {
    vrt__pb m;
    if (vrt__pb_sub(parent, f, &m)) return fail(c, VRT_EBADDATA, "malformed external_data entry");
    vrt__pb_field g, key = {0}, val = {0};
    int has_key = 0, has_val = 0;
    vrt_status st;
    while ((st = vrt__pb_next(&m, &g)) == VRT_OK) {
        if (g.num == 1 && g.wire == VRT__PB_LEN) key = g, has_key = 1;
        if (g.num == 2 && g.wire == VRT__PB_LEN) val = g, has_val = 1;
    }
    if (st != VRT_EOF || !has_key || !has_val) return fail(c, VRT_EBADDATA, "malformed external_data entry");
    if (str_eq(&key, "location")) {
        r->ext_loc = val.data;
        r->ext_loc_len = val.len;
        r->has_ext_loc = 1;
    } else if (str_eq(&key, "offset") || str_eq(&key, "length")) {
        char buf[32];
        if (val.len == 0 || val.len >= sizeof(buf))
            return fail(c, VRT_EBADDATA, "bad external_data offset/length");
        memcpy(buf, val.data, val.len);
        buf[val.len] = 0;
        char *endp;
        long long v = strtoll(buf, &endp, 10);
        if (*endp || v < 0) return fail(c, VRT_EBADDATA, "bad external_data value '%s'", buf);
        if (str_eq(&key, "offset"))
            r->ext_offset = v;
        else
            r->ext_length = v;
    }
    return VRT_OK;
}

static vrt_status parse_raw_tensor(ctx *c, const vrt__pb *parent, const vrt__pb_field *pf, const uint8_t *buf,
                                   size_t len, raw_tensor *r) {
    memset(r, 0, sizeof(*r));
    r->ext_length = -1;
    vrt__pb m;
    if (pf) {
        if (vrt__pb_sub(parent, pf, &m)) return fail(c, VRT_EBADDATA, "malformed tensor (nesting too deep?)");
    } else {
        vrt__pb_init(&m, buf, len);
    }
    vrt__pb_field f;
    vrt_status st;
    while ((st = vrt__pb_next(&m, &f)) == VRT_OK) {
        vrt_status e = VRT_OK;
        switch (f.num) {
        case 1: {
            int64_t *tmp = NULL;
            size_t n = 0, cp = 0;
            e = vrt__pb_append_varints(&f, &tmp, &n, &cp, 64);
            for (size_t i = 0; !e && i < n; i++) {
                if (r->ndim >= VRT__MAX_DIMS)
                    r->too_many_dims = 1;
                else
                    r->dims[r->ndim++] = tmp[i];
            }
            vrt_free(tmp);
            break;
        }
        case 2:
            if (f.wire != VRT__PB_VARINT) e = VRT_EBADDATA;
            r->data_type = (int64_t)f.v;
            break;
        case 3: r->has_segment = 1; break;
        case 4: e = vrt__pb_append_fixed32(&f, &r->f32, &r->n_f32, &r->c_f32, MAX_ELEMS); break;
        case 5: e = vrt__pb_append_varints(&f, &r->i32, &r->n_i32, &r->c_i32, MAX_ELEMS); break;
        case 7: e = vrt__pb_append_varints(&f, &r->i64, &r->n_i64, &r->c_i64, MAX_ELEMS); break;
        case 8:
            if (f.wire != VRT__PB_LEN) {
                e = VRT_EBADDATA;
                break;
            }
            vrt_free(r->name);
            r->name = dup_bytes(f.data, f.len);
            if (!r->name) e = VRT_ENOMEM;
            break;
        case 9:
            if (f.wire != VRT__PB_LEN) e = VRT_EBADDATA;
            r->raw = f.data;
            r->raw_len = f.len;
            r->has_raw = 1;
            break;
        case 10: e = vrt__pb_append_fixed64(&f, &r->f64, &r->n_f64, &r->c_f64, MAX_ELEMS); break;
        case 11: e = vrt__pb_append_varints(&f, &r->u64, &r->n_u64, &r->c_u64, MAX_ELEMS); break;
        case 13: e = parse_ext_entry(c, &m, &f, r); break;
        case 14:
            if (f.wire != VRT__PB_VARINT) e = VRT_EBADDATA;
            r->location = (int64_t)f.v;
            break;
        default: break;
        }
        if (e == VRT_ENOMEM) return fail(c, VRT_ENOMEM, "out of memory reading a tensor");
        if (e) return (c->err && c->err[0]) ? e : fail(c, VRT_EBADDATA, "malformed tensor field %u", f.num);
    }
    if (st != VRT_EOF)
        return fail(c, VRT_EBADDATA, "malformed tensor '%s' (truncated or corrupt)", r->name ? r->name : "");
    return VRT_OK;
}

static int dtype_ok(int64_t dt) {
    switch (dt) {
    case VRT__DT_FLOAT:
    case VRT__DT_FLOAT16:
    case VRT__DT_INT64:
    case VRT__DT_INT32:
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_BOOL:
    case VRT__DT_DOUBLE:
    case VRT__DT_INT16:
    case VRT__DT_UINT16:
    case VRT__DT_UINT32:
    case VRT__DT_UINT64: return 1;
    default: return vrt__dtype_is_lowp_float((vrt__dtype)dt) || vrt__dtype_is_subbyte((vrt__dtype)dt);
    }
}

static size_t dt_size(int64_t dt) {
    switch (dt) {
    case VRT__DT_FLOAT:
    case VRT__DT_INT32:
    case VRT__DT_UINT32: return 4;
    case VRT__DT_FLOAT16:
    case VRT__DT_INT16:
    case VRT__DT_UINT16: return 2;
    case VRT__DT_INT64:
    case VRT__DT_DOUBLE:
    case VRT__DT_UINT64: return 8;
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_BOOL: return 1;
    case VRT__DT_BFLOAT16: return 2;
    default: return vrt__dtype_is_lowp_float((vrt__dtype)dt) || vrt__dtype_is_subbyte((vrt__dtype)dt) ? 1 : 0;
    }
}

/* Resolves `loc` inside c->dir and reads [offset, offset+nbytes). */
static vrt_status read_external(ctx *c, const raw_tensor *r, const char *tname, uint8_t **out,
                                size_t nbytes) {
    uint8_t *dst = NULL;
    if (!c->dir)
        return fail(c, VRT_EUNSUPPORTED,
                    "tensor '%s' uses external data, which needs a model file (not a buffer)", tname);
    if (!r->has_ext_loc || r->ext_loc_len == 0 || memchr(r->ext_loc, 0, r->ext_loc_len))
        return fail(c, VRT_EBADDATA, "tensor '%s': external data without a valid 'location'", tname);
    char *loc = dup_bytes(r->ext_loc, r->ext_loc_len);
    if (!loc) return VRT_ENOMEM;
    vrt_status st = VRT_OK;
    char dirreal[PATH_MAX], full[PATH_MAX * 2], real[PATH_MAX];
    int fd = -1;
    if (loc[0] == '/') {
        st = fail(c, VRT_EPERM,
                  "tensor '%s': external data location '%s' is an absolute path; it must be relative to the "
                  "model's folder",
                  tname, loc);
        goto out;
    }
    for (const char *p = loc; *p;) { /* refuse any ".." component */
        const char *s = strchr(p, '/');
        size_t n = s ? (size_t)(s - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            st = fail(c, VRT_EPERM, "tensor '%s': external data location '%s' leaves the model's folder",
                      tname, loc);
            goto out;
        }
        p += n + (s ? 1 : 0);
    }
    if (!realpath(c->dir, dirreal)) {
        st = fail(c, VRT_ENOENT, "model folder '%s' not found", c->dir);
        goto out;
    }
    snprintf(full, sizeof(full), "%s/%s", dirreal, loc);
    if (!realpath(full, real)) {
        st = fail(c, VRT_ENOENT, "tensor '%s': external data file '%s' not found next to the model", tname,
                  loc);
        goto out;
    }
    size_t dl = strlen(dirreal);
    if (!strcmp(real, dirreal)) {
        st =
            fail(c, VRT_EBADDATA,
                 "tensor '%s': external data location '%s' names the model's folder, not a file", tname, loc);
        goto out;
    }
    if (strncmp(real, dirreal, dl) || (real[dl] != '/' && !(dl == 1 && dirreal[0] == '/'))) {
        st = fail(c, VRT_EPERM,
                  "tensor '%s': external data '%s' resolves outside the model's folder (symlink?)", tname,
                  loc);
        goto out;
    }
    /* Only a regular file: opening a FIFO would block forever, a device
     * could be read without end. O_NONBLOCK keeps even a FIFO swapped in
     * after the check from blocking the open. */
    struct stat sb;
    if (stat(real, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        st = fail(c, VRT_EBADDATA, "tensor '%s': external data '%s' is not a regular file (%s)", tname, loc,
                  S_ISDIR(sb.st_mode)    ? "a folder"
                  : S_ISFIFO(sb.st_mode) ? "a FIFO"
                                         : "a device or socket");
        goto out;
    }
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        st = fail(c, VRT_EIO, "tensor '%s': cannot read external data file '%s'", tname, loc);
        goto out;
    }
    if (r->ext_length >= 0 && (uint64_t)r->ext_length != nbytes) {
        st = fail(c, VRT_EBADDATA, "tensor '%s': external length %lld but the shape needs %zu bytes", tname,
                  (long long)r->ext_length, nbytes);
        goto out;
    }
    if ((uint64_t)r->ext_offset > (uint64_t)sb.st_size ||
        nbytes > (uint64_t)sb.st_size - (uint64_t)r->ext_offset) {
        st = fail(c, VRT_EBADDATA,
                  "tensor '%s': external data '%s' is too short (%lld bytes, need %zu at offset %lld)", tname,
                  loc, (long long)sb.st_size, nbytes, (long long)r->ext_offset);
        goto out;
    }
    if (!(dst = vrt_malloc(nbytes ? nbytes : 1))) {
        st = fail(c, VRT_ENOMEM, "out of memory for tensor '%s' (%zu bytes)", tname, nbytes);
        goto out;
    }
    size_t got = 0;
    while (got < nbytes) {
        ssize_t k = pread(fd, (char *)dst + got, nbytes - got, (off_t)(r->ext_offset + (int64_t)got));
        if (k <= 0) {
            st = fail(c, VRT_EIO, "tensor '%s': read error in external data '%s'", tname, loc);
            goto out;
        }
        got += (size_t)k;
    }
out:
    if (fd >= 0) close(fd);
    vrt_free(loc);
    if (st)
        vrt_free(dst);
    else
        *out = dst;
    return st;
}

/* raw_tensor -> vrt__tensor with data. convert_double: DOUBLE becomes FLOAT. */
/* Shape and type of a TensorProto into t; *numel receives its element count. */
static vrt_status tensor_header(ctx *c, const raw_tensor *r, vrt__tensor *t, const char *tname,
                                size_t *numel) {
    if (r->too_many_dims)
        return fail(c, VRT_EUNSUPPORTED, "tensor '%s' has more than %d dimensions", tname, VRT__MAX_DIMS);
    t->dtype = (vrt__dtype)r->data_type;
    t->shape.ndim = r->ndim;
    for (int i = 0; i < r->ndim; i++) {
        if (r->dims[i] < 0) return fail(c, VRT_EBADDATA, "tensor '%s' has a negative dimension", tname);
        t->shape.d[i] = r->dims[i];
    }
    /* Every dim bounded too, not only the count: a [0, 2^62] tensor has no
     * elements but its strides would overflow (core/checked.h). */
    int64_t cnt;
    if (!vrt__dims_numel(r->dims, r->ndim, (int64_t)MAX_ELEMS, &cnt))
        return fail(c, VRT_EBADDATA,
                    "tensor '%s' is too large (more than %zu elements or a dimension above it)", tname,
                    MAX_ELEMS);
    *numel = (size_t)cnt;
    t->shape_known = 1;
    if (!dtype_ok(r->data_type))
        return fail(c, VRT_EUNSUPPORTED,
                    "tensor '%s' has data type %lld, which is not supported (supported: float, float16, "
                    "double, int64, int32, int16, int8, uint8, bool)",
                    tname, (long long)r->data_type);
    if (r->has_segment)
        return fail(c, VRT_EUNSUPPORTED, "tensor '%s' is segmented, which is not supported", tname);
    return VRT_OK;
}

/* Where a TensorProto's values are: external file, raw_data or one of the typed fields. */
typedef enum data_src { SRC_NONE, SRC_EXT, SRC_RAW, SRC_F32, SRC_I64, SRC_F64, SRC_U64, SRC_I32 } data_src;

/* Picks the field holding the data and checks that it holds numel elements
 * (nbytes for raw_data) before anything is allocated: a hostile file must not
 * make us allocate gigabytes for a tensor whose bytes it does not hold. */
static vrt_status tensor_source(ctx *c, const raw_tensor *r, const char *tname, size_t es, size_t numel,
                                size_t nbytes, data_src *src) {
    int64_t dt = r->data_type;
    size_t have = 0;
    if (r->location == 1)
        *src = SRC_EXT;
    else if (r->has_raw)
        *src = SRC_RAW, have = r->raw_len / (es ? es : 1);
    else if (numel == 0)
        *src = SRC_NONE;
    else if (dt == VRT__DT_FLOAT && r->n_f32)
        *src = SRC_F32, have = r->n_f32;
    else if (dt == VRT__DT_INT64 && r->n_i64)
        *src = SRC_I64, have = r->n_i64;
    else if (dt == VRT__DT_DOUBLE && r->n_f64)
        *src = SRC_F64, have = r->n_f64;
    else if ((dt == VRT__DT_UINT64 || dt == VRT__DT_UINT32) && r->n_u64)
        *src = SRC_U64, have = r->n_u64;
    else if (r->n_i32 && (dt == VRT__DT_INT32 || es <= 2))
        *src = SRC_I32, have = r->n_i32;
    else
        return fail(c, VRT_EBADDATA,
                    "tensor '%s' (%zu elements) has no data in a field that fits its type %lld", tname, numel,
                    (long long)dt);
    if (*src == SRC_RAW && r->raw_len != nbytes)
        return fail(c, VRT_EBADDATA, "tensor '%s': raw_data has %zu bytes, its shape needs %zu", tname,
                    r->raw_len, nbytes);
    if (*src > SRC_RAW && have != numel)
        return fail(c, VRT_EBADDATA,
                    "tensor '%s': typed data has the wrong number of elements for its shape (%zu expected)",
                    tname, numel);
    return VRT_OK;
}

/* Copies numel elements (nbytes) of the in-message field src into d. */
static void tensor_copy(const raw_tensor *r, data_src src, size_t es, size_t numel, size_t nbytes,
                        uint8_t *d) {
    int64_t dt = r->data_type;
    switch (src) {
    case SRC_RAW:
        if (nbytes) memcpy(d, r->raw, nbytes);
        break;
    case SRC_F32: memcpy(d, r->f32, nbytes); break;
    case SRC_I64: memcpy(d, r->i64, nbytes); break;
    case SRC_F64: memcpy(d, r->f64, nbytes); break;
    case SRC_U64:
        for (size_t i = 0; i < numel; i++) {
            if (dt == VRT__DT_UINT64)
                ((uint64_t *)d)[i] = (uint64_t)r->u64[i];
            else
                ((uint32_t *)d)[i] = (uint32_t)r->u64[i];
        }
        break;
    case SRC_I32:
        /* int32_data carries int32 and, in their low bits, fp16/int16/uint16/int8/uint8/bool. */
        for (size_t i = 0; i < numel; i++) {
            int64_t v = r->i32[i];
            if (es == 4)
                ((int32_t *)d)[i] = (int32_t)v;
            else if (es == 2)
                ((uint16_t *)d)[i] = (uint16_t)v;
            else
                d[i] = dt == VRT__DT_BOOL ? (uint8_t)(v != 0) : (uint8_t)v;
        }
        break;
    default: break;
    }
}

/* Packed 4-/2-bit storage in t->data -> one element per byte (unpacked elements). */
static vrt_status tensor_unpack(ctx *c, vrt__tensor *t, vrt__dtype dt, size_t unpacked, const char *tname) {
    uint8_t *u = vrt_malloc(unpacked ? unpacked : 1);
    if (!u) return fail(c, VRT_ENOMEM, "out of memory for tensor '%s' (%zu bytes)", tname, unpacked);
    vrt__subbyte_unpack(dt, t->data, u, (int64_t)unpacked);
    if (dt == VRT__DT_FLOAT4E2M1)
        for (size_t i = 0; i < unpacked; i++)
            u[i] &= 0x0fu; /* raw nibble */
    vrt_free(t->data);
    t->data = u;
    t->nbytes = unpacked;
    return VRT_OK;
}

/* DOUBLE data in t -> FLOAT (numel elements). */
static vrt_status tensor_double_to_float(vrt__tensor *t, size_t numel) {
    float *f = vrt_malloc(numel * 4 + 1);
    if (!f) return VRT_ENOMEM;
    const uint8_t *d = t->data;
    for (size_t i = 0; i < numel; i++) {
        double x;
        memcpy(&x, d + 8 * i, 8);
        f[i] = (float)x;
    }
    vrt_free(t->data);
    t->data = f;
    t->nbytes = numel * 4;
    t->dtype = VRT__DT_FLOAT;
    return VRT_OK;
}

static vrt_status build_tensor(ctx *c, raw_tensor *r, vrt__tensor *t, int convert_double, const char *what) {
    const char *tname = r->name ? r->name : what;
    size_t numel = 0;
    vrt_status st = tensor_header(c, r, t, tname, &numel);
    if (st) return st;
    size_t es = dt_size(r->data_type), nbytes = numel * es;
    int64_t dt = r->data_type;
    /* 4-/2-bit types are stored packed (low bits first): read the packed
     * bytes, unpack to one element per byte below. */
    int sub = vrt__dtype_is_subbyte((vrt__dtype)dt) || dt == VRT__DT_FLOAT4E2M1;
    size_t unpacked = nbytes;
    if (sub) {
        int bits = vrt__dtype_bits((vrt__dtype)dt);
        nbytes = (numel * (size_t)bits + 7) / 8;
        numel = nbytes; /* elements of the packed storage from here on */
    }
    data_src src = SRC_NONE;
    if ((st = tensor_source(c, r, tname, es, numel, nbytes, &src))) return st;
    uint8_t *d = NULL;
    if (src == SRC_EXT) {
        if ((st = read_external(c, r, tname, &d, nbytes))) return st;
    } else {
        d = vrt_malloc(nbytes ? nbytes : 1);
        if (!d) return fail(c, VRT_ENOMEM, "out of memory for tensor '%s' (%zu bytes)", tname, nbytes);
    }
    t->data = d;
    t->nbytes = nbytes;
    tensor_copy(r, src, es, numel, nbytes, d);
    if (sub) return tensor_unpack(c, t, (vrt__dtype)dt, unpacked, tname);
    if (convert_double && dt == VRT__DT_DOUBLE) return tensor_double_to_float(t, numel);
    return VRT_OK;
}

static vrt_status parse_tensor(ctx *c, const vrt__pb *parent, const vrt__pb_field *pf, const uint8_t *buf,
                               size_t len, vrt__tensor *t, int convert_double, const char *what) {
    raw_tensor r;
    memset(t, 0, sizeof(*t));
    t->producer = -1;
    vrt_status st = parse_raw_tensor(c, parent, pf, buf, len, &r);
    if (!st) {
        t->name = vrt_strdup(r.name ? r.name : "");
        st = t->name ? build_tensor(c, &r, t, convert_double, what) : VRT_ENOMEM;
    }
    raw_free(&r);
    return st;
}

vrt_status vrt__tensor_parse_pb(const uint8_t *buf, size_t len, vrt__tensor *t, char *err, size_t cap) {
    ctx c = {0};
    c.err = err;
    c.cap = cap;
    if (err && cap) err[0] = 0;
    vrt_status st = parse_tensor(&c, NULL, NULL, buf, len, t, 0, "<tensor>");
    if (st && st != VRT_EUNSUPPORTED) vrt__tensor_free(t);
    /* EUNSUPPORTED: name/dtype/shape are kept (dims of an unsupported dtype). */
    if (st == VRT_EUNSUPPORTED) {
        vrt_free(t->data);
        t->data = NULL;
        t->nbytes = 0;
    }
    return st;
}

/* The path as messages name it: a very long one keeps only its end, so that
 * the reason after it still fits the caller's buffer. */
static const char *msg_path(const char *path, char *buf, size_t cap) {
    size_t n = strlen(path);
    if (n < 200) return path;
    snprintf(buf, cap, "...%s", path + n - 160);
    return buf;
}

static vrt_status read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t cap) {
    char pb[200];
    const char *shown = msg_path(path, pb, sizeof(pb));
    *out = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO given as the model must not block the open (it is
     * refused just below as not a regular file). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        vrt_errbuf_set(err, cap, "%s: cannot open (%s)", shown, strerror(errno));
        return vrt_status_from_errno(errno);
    }
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MAX_FILE) {
        close(fd);
        vrt_errbuf_set(err, cap, "%s: not a regular file or larger than 4 GiB", shown);
        return VRT_EINVAL;
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *b = vrt_malloc(n ? n : 1);
    if (!b) {
        close(fd);
        vrt_errbuf_set(err, cap, "%s: out of memory (%zu bytes)", path, n);
        return VRT_ENOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (got != n) {
        vrt_free(b);
        vrt_errbuf_set(err, cap, "%s: short read", path);
        return VRT_EIO;
    }
    *out = b;
    *len = n;
    return VRT_OK;
}

vrt_status vrt__tensor_load_pb(const char *path, vrt__tensor *t, char *err, size_t cap) {
    uint8_t *b;
    size_t n;
    memset(t, 0, sizeof(*t));
    vrt_status st = read_file(path, &b, &n, err, cap);
    if (st) return st;
    st = vrt__tensor_parse_pb(b, n, t, err, cap);
    vrt_free(b);
    return st;
}

/* ---- attributes --------------------------------------------------------------- */

/* An AttributeProto being read: which fields were seen, and the lists that
 * are gathered before the attribute's type is known. */
typedef struct attr_acc {
    int64_t type;
    int has_f, has_i, has_s, has_t, has_g;
    size_t nf, cf, ni, ci, ns, cs, nt, tcap;
    uint32_t *fl;
    vrt__tensor *tensors;
} attr_acc;

/* Frees everything of a half-read attribute (a and the lists in s). */
static void attr_acc_free(vrt__attr *a, attr_acc *s) {
    a->tensors = NULL; /* s->tensors: freed below */
    a->n = (int)s->ns; /* the strings to free */
    vrt__attr_free(a);
    vrt_free(s->fl);
    s->fl = NULL;
    for (size_t k = 0; k < s->nt; k++)
        vrt__tensor_free(&s->tensors[k]);
    vrt_free(s->tensors);
    s->tensors = NULL;
}

static vrt_status attr_push_tensor(ctx *c, const vrt__pb *m, const vrt__pb_field *f, attr_acc *s) {
    if (s->nt == s->tcap) {
        size_t ncap = s->tcap ? s->tcap * 2 : 2;
        if (ncap > 4096) return VRT_ERANGE;
        vrt__tensor *tt = vrt_realloc(s->tensors, ncap * sizeof(*tt));
        if (!tt) return VRT_ENOMEM;
        s->tensors = tt, s->tcap = ncap;
    }
    vrt_status e = parse_tensor(c, m, f, NULL, 0, &s->tensors[s->nt], 1, "attribute tensor");
    s->nt++; /* counted even on failure so it is freed */
    return e;
}

static vrt_status attr_push_string(const vrt__pb_field *f, vrt__attr *a, attr_acc *s) {
    if (f->wire != VRT__PB_LEN) return VRT_EBADDATA;
    if (s->ns == s->cs) {
        size_t ncap = s->cs ? s->cs * 2 : 4;
        if (ncap > MAX_LIST) return VRT_ERANGE;
        char **ss = vrt_realloc(a->strings, ncap * sizeof(char *));
        if (!ss) return VRT_ENOMEM;
        a->strings = ss, s->cs = ncap;
    }
    if (!(a->strings[s->ns] = dup_bytes(f->data, f->len))) return VRT_ENOMEM;
    s->ns++;
    return VRT_OK;
}

/* Replaces *dst by a copy of a length-delimited field's bytes. */
static vrt_status attr_set_bytes(const vrt__pb_field *f, char **dst) {
    if (f->wire != VRT__PB_LEN) return VRT_EBADDATA;
    vrt_free(*dst);
    return (*dst = dup_bytes(f->data, f->len)) ? VRT_OK : VRT_ENOMEM;
}

/* One field of an AttributeProto. */
static vrt_status attr_field(ctx *c, const vrt__pb *m, const vrt__pb_field *f, vrt__attr *a, attr_acc *s) {
    switch (f->num) {
    case 1: return attr_set_bytes(f, &a->name);
    case 20: s->type = (int64_t)f->v; return VRT_OK;
    case 2:
        if (f->wire != VRT__PB_FIXED32) return VRT_EBADDATA;
        a->f = vrt__pb_f32(f->v), s->has_f = 1;
        return VRT_OK;
    case 3: a->i = (int64_t)f->v, s->has_i = 1; return VRT_OK;
    case 4:
        if (f->wire == VRT__PB_LEN) s->has_s = 1;
        return attr_set_bytes(f, &a->s);
    case 5:
    case 10:
        if (f->num == 5) s->has_t = 1;
        return attr_push_tensor(c, m, f, s);
    case 6:
    case 11: s->has_g = 1; return VRT_OK;
    case 7: return vrt__pb_append_fixed32(f, &s->fl, &s->nf, &s->cf, MAX_LIST);
    case 8: return vrt__pb_append_varints(f, &a->ints, &s->ni, &s->ci, MAX_LIST);
    case 9: return attr_push_string(f, a, s);
    default: return VRT_OK;
    }
}

/* The attribute's type (from the fields set when the file omits it, as IR < 0.0.2
 * files do) and its element count; 0 when the type is not supported. */
static int attr_type_and_count(vrt__attr *a, attr_acc *s) {
    if (!s->type)
        s->type = s->has_f   ? VRT__AT_FLOAT
                  : s->has_i ? VRT__AT_INT
                  : s->has_s ? VRT__AT_STRING
                  : s->has_t ? VRT__AT_TENSOR
                  : s->nf    ? VRT__AT_FLOATS
                  : s->ni    ? VRT__AT_INTS
                  : s->ns    ? VRT__AT_STRINGS
                  : s->nt    ? VRT__AT_TENSORS
                             : 0;
    a->type = (vrt__attr_type)s->type;
    switch (a->type) {
    case VRT__AT_FLOATS: a->n = (int)s->nf; return 1;
    case VRT__AT_INTS: a->n = (int)s->ni; return 1;
    case VRT__AT_STRINGS: a->n = (int)s->ns; return 1;
    case VRT__AT_TENSORS: a->n = (int)s->nt; return 1;
    case VRT__AT_TENSOR: a->n = 1; return s->nt == 1;
    case VRT__AT_FLOAT:
    case VRT__AT_INT:
    case VRT__AT_STRING: a->n = 0; return 1;
    default: return 0;
    }
}

/* After the last field: the type, the float list converted, the lists the type
 * does not use dropped. Frees everything on failure. */
static vrt_status attr_finish(ctx *c, vrt__attr *a, attr_acc *s, const char *node) {
    if (s->nf) {
        a->floats = vrt_malloc(s->nf * sizeof(float));
        if (!a->floats) goto oom;
        for (size_t k = 0; k < s->nf; k++)
            a->floats[k] = vrt__pb_f32(s->fl[k]);
    }
    vrt_free(s->fl);
    s->fl = NULL;
    a->tensors = s->tensors;
    if (!attr_type_and_count(a, s)) {
        vrt_status r =
            fail(c, VRT_EUNSUPPORTED,
                 "node '%s': attribute '%s' has type %lld, which is not supported (sparse tensors, "
                 "type protos, graphs)",
                 node, a->name, (long long)s->type);
        attr_acc_free(a, s);
        return r;
    }
    if (a->type == VRT__AT_STRING && !a->s && !(a->s = vrt_strdup(""))) goto oom;
    /* Keep the arrays we do not use countable for free(). */
    if (a->type != VRT__AT_STRINGS && a->strings) {
        for (size_t k = 0; k < s->ns; k++)
            vrt_free(a->strings[k]);
        vrt_free(a->strings);
        a->strings = NULL;
    }
    if (a->type != VRT__AT_TENSOR && a->type != VRT__AT_TENSORS && a->tensors) {
        for (size_t k = 0; k < s->nt; k++)
            vrt__tensor_free(&a->tensors[k]);
        vrt_free(a->tensors);
        a->tensors = NULL;
    }
    return VRT_OK;
oom:
    attr_acc_free(a, s);
    return fail(c, VRT_ENOMEM, "out of memory");
}

static vrt_status parse_attr(ctx *c, const vrt__pb *parent, const vrt__pb_field *pf, vrt__attr *a,
                             const char *node) {
    vrt__pb m;
    memset(a, 0, sizeof(*a));
    if (vrt__pb_sub(parent, pf, &m)) return fail(c, VRT_EBADDATA, "node '%s': malformed attribute", node);
    vrt__pb_field f;
    vrt_status st;
    attr_acc s;
    memset(&s, 0, sizeof(s));
    while ((st = vrt__pb_next(&m, &f)) == VRT_OK) {
        vrt_status e = attr_field(c, &m, &f, a, &s);
        if (e) {
            attr_acc_free(a, &s);
            if (c->err && c->err[0]) return e;
            return fail(c, e == VRT_ENOMEM ? VRT_ENOMEM : VRT_EBADDATA,
                        "node '%s': malformed attribute field %u", node, f.num);
        }
    }
    if (st != VRT_EOF || !a->name || s.has_g) {
        attr_acc_free(a, &s);
        if (s.has_g && st == VRT_EOF)
            return fail(
                c, VRT_EUNSUPPORTED,
                "node '%s': attribute holds a graph; subgraphs (If/Loop/Scan bodies) are not supported",
                node);
        return fail(c, VRT_EBADDATA, "node '%s': malformed attribute", node);
    }
    return attr_finish(c, a, &s, node);
}

/* ---- nodes, value infos, graph -------------------------------------------------- */

typedef struct raw_node {
    char **in, **out;
    size_t n_in, c_in, n_out, c_out;
    char *name, *op_type, *domain;
    vrt__attr *attrs;
    size_t n_attrs, c_attrs;
} raw_node;

static void raw_node_free(raw_node *n) {
    for (size_t i = 0; i < n->n_in; i++)
        vrt_free(n->in[i]);
    for (size_t i = 0; i < n->n_out; i++)
        vrt_free(n->out[i]);
    vrt_free(n->in);
    vrt_free(n->out);
    vrt_free(n->name);
    vrt_free(n->op_type);
    vrt_free(n->domain);
    for (size_t i = 0; i < n->n_attrs; i++)
        vrt__attr_free(&n->attrs[i]);
    vrt_free(n->attrs);
    memset(n, 0, sizeof(*n));
}

static vrt_status push_str(char ***arr, size_t *n, size_t *cap, const vrt__pb_field *f) {
    if (f->wire != VRT__PB_LEN) return VRT_EBADDATA;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        if (nc > MAX_LIST) return VRT_ERANGE;
        char **p = vrt_realloc(*arr, nc * sizeof(char *));
        if (!p) return VRT_ENOMEM;
        *arr = p, *cap = nc;
    }
    char *s = dup_bytes(f->data, f->len);
    if (!s) return VRT_ENOMEM;
    (*arr)[(*n)++] = s;
    return VRT_OK;
}

static vrt_status parse_node(ctx *c, const vrt__pb *parent, const vrt__pb_field *pf, raw_node *n, int index) {
    vrt__pb m;
    memset(n, 0, sizeof(*n));
    if (vrt__pb_sub(parent, pf, &m)) return fail(c, VRT_EBADDATA, "node #%d: malformed", index);
    vrt__pb_field f;
    vrt_status st;
    /* First pass: the name, so attribute errors can say which node. */
    vrt__pb m2 = m;
    while ((st = vrt__pb_next(&m2, &f)) == VRT_OK)
        if (f.num == 3 && f.wire == VRT__PB_LEN && !n->name && !(n->name = dup_bytes(f.data, f.len)))
            return VRT_ENOMEM;
    if (st != VRT_EOF) return fail(c, VRT_EBADDATA, "node #%d: malformed (truncated or corrupt)", index);
    char label[96];
    snprintf(label, sizeof(label), "%s", n->name && n->name[0] ? n->name : "#");
    if (!n->name || !n->name[0]) snprintf(label, sizeof(label), "#%d", index);
    while ((st = vrt__pb_next(&m, &f)) == VRT_OK) {
        vrt_status e = VRT_OK;
        switch (f.num) {
        case 1: e = push_str(&n->in, &n->n_in, &n->c_in, &f); break;
        case 2: e = push_str(&n->out, &n->n_out, &n->c_out, &f); break;
        case 4:
            if (f.wire != VRT__PB_LEN) {
                e = VRT_EBADDATA;
                break;
            }
            vrt_free(n->op_type);
            if (!(n->op_type = dup_bytes(f.data, f.len))) e = VRT_ENOMEM;
            break;
        case 7:
            if (f.wire != VRT__PB_LEN) {
                e = VRT_EBADDATA;
                break;
            }
            vrt_free(n->domain);
            if (!(n->domain = dup_bytes(f.data, f.len))) e = VRT_ENOMEM;
            break;
        case 5:
            if (n->n_attrs == n->c_attrs) {
                size_t nc = n->c_attrs ? n->c_attrs * 2 : 4;
                if (nc > 65536) {
                    e = VRT_ERANGE;
                    break;
                }
                vrt__attr *p = vrt_realloc(n->attrs, nc * sizeof(*p));
                if (!p) {
                    e = VRT_ENOMEM;
                    break;
                }
                n->attrs = p, n->c_attrs = nc;
            }
            e = parse_attr(c, &m, &f, &n->attrs[n->n_attrs], label);
            if (!e)
                n->n_attrs++;
            else
                return e;
            break;
        default: break;
        }
        if (e == VRT_ENOMEM) return fail(c, VRT_ENOMEM, "out of memory");
        if (e) return fail(c, VRT_EBADDATA, "node '%s': malformed field %u", label, f.num);
    }
    if (st != VRT_EOF) return fail(c, VRT_EBADDATA, "node '%s': malformed (truncated or corrupt)", label);
    if (!n->op_type || !n->op_type[0]) return fail(c, VRT_EBADDATA, "node '%s' has no op_type", label);
    return VRT_OK;
}

typedef struct raw_vi {
    char *name;
    int64_t elem_type;
    int has_shape;
    int ndim;
    int64_t d[VRT__MAX_DIMS]; /* -1 unknown / symbolic */
    char *param[VRT__MAX_DIMS];
    int too_many;
    int not_tensor;
} raw_vi;

static void raw_vi_free(raw_vi *v) {
    vrt_free(v->name);
    for (int i = 0; i < VRT__MAX_DIMS; i++)
        vrt_free(v->param[i]);
}

static vrt_status parse_vi(ctx *c, const vrt__pb *parent, const vrt__pb_field *pf, raw_vi *v) {
    memset(v, 0, sizeof(*v));
    vrt__pb m, tp, tt, sh, dm;
    vrt__pb_field f, g, h, k, q;
    vrt_status st;
    if (vrt__pb_sub(parent, pf, &m)) goto bad;
    while ((st = vrt__pb_next(&m, &f)) == VRT_OK) {
        if (f.num == 1 && f.wire == VRT__PB_LEN) {
            vrt_free(v->name);
            if (!(v->name = dup_bytes(f.data, f.len))) return VRT_ENOMEM;
        } else if (f.num == 2) {
            if (vrt__pb_sub(&m, &f, &tp)) goto bad;
            while ((st = vrt__pb_next(&tp, &g)) == VRT_OK) {
                if (g.num != 1) {
                    if (g.num == 4 || g.num == 5 || g.num == 8 || g.num == 9) v->not_tensor = 1;
                    continue;
                }
                if (vrt__pb_sub(&tp, &g, &tt)) goto bad;
                while ((st = vrt__pb_next(&tt, &h)) == VRT_OK) {
                    if (h.num == 1) v->elem_type = (int64_t)h.v;
                    if (h.num != 2) continue;
                    if (vrt__pb_sub(&tt, &h, &sh)) goto bad;
                    v->has_shape = 1;
                    while ((st = vrt__pb_next(&sh, &k)) == VRT_OK) {
                        if (k.num != 1) continue;
                        if (vrt__pb_sub(&sh, &k, &dm)) goto bad;
                        int64_t val = -1;
                        char *param = NULL;
                        while ((st = vrt__pb_next(&dm, &q)) == VRT_OK) {
                            if (q.num == 1 && q.wire == VRT__PB_VARINT) val = (int64_t)q.v;
                            if (q.num == 2 && q.wire == VRT__PB_LEN) {
                                vrt_free(param);
                                if (!(param = dup_bytes(q.data, q.len))) return VRT_ENOMEM;
                            }
                        }
                        if (st != VRT_EOF) {
                            vrt_free(param);
                            goto bad;
                        }
                        if (v->ndim >= VRT__MAX_DIMS) {
                            v->too_many = 1;
                            vrt_free(param);
                            continue;
                        }
                        v->d[v->ndim] = val < 0 ? -1 : val;
                        v->param[v->ndim++] = param;
                    }
                    if (st != VRT_EOF) goto bad;
                }
                if (st != VRT_EOF) goto bad;
            }
            if (st != VRT_EOF) goto bad;
        }
    }
    if (st != VRT_EOF) goto bad;
    if (!v->name) v->name = vrt_strdup("");
    return v->name ? VRT_OK : VRT_ENOMEM;
bad:
    return fail(c, VRT_EBADDATA, "malformed value info '%s'", v->name ? v->name : "");
}

typedef struct raw_graph {
    raw_node *nodes;
    size_t n_nodes, c_nodes;
    vrt__tensor *inits;
    size_t n_inits, c_inits;
    raw_vi *ins, *outs;
    size_t n_ins, c_ins, n_outs, c_outs;
    char *name;
} raw_graph;

static void raw_graph_free(raw_graph *g) {
    for (size_t i = 0; i < g->n_nodes; i++)
        raw_node_free(&g->nodes[i]);
    for (size_t i = 0; i < g->n_inits; i++)
        vrt__tensor_free(&g->inits[i]);
    for (size_t i = 0; i < g->n_ins; i++)
        raw_vi_free(&g->ins[i]);
    for (size_t i = 0; i < g->n_outs; i++)
        raw_vi_free(&g->outs[i]);
    vrt_free(g->nodes);
    vrt_free(g->inits);
    vrt_free(g->ins);
    vrt_free(g->outs);
    vrt_free(g->name);
}

static vrt_status grow_arr(void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return VRT_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    if (nc > ((size_t)1 << 26)) return VRT_ERANGE;
    void *p = vrt_realloc(*arr, nc * elem);
    if (!p) return VRT_ENOMEM;
    *arr = p;
    *cap = nc;
    return VRT_OK;
}

static vrt_status parse_graph(ctx *c, const vrt__pb *parent, const vrt__pb_field *pf, raw_graph *g) {
    vrt__pb m;
    vrt__pb_field f;
    vrt_status st;
    if (vrt__pb_sub(parent, pf, &m)) return fail(c, VRT_EBADDATA, "malformed graph");
    while ((st = vrt__pb_next(&m, &f)) == VRT_OK) {
        vrt_status e = VRT_OK;
        switch (f.num) {
        case 1:
            if (g->n_nodes >= VRT__MAX_NODES)
                return fail(c, VRT_EUNSUPPORTED,
                            "the graph has more than %d nodes, more than any model we know of",
                            VRT__MAX_NODES);
            if ((e = grow_arr((void **)&g->nodes, &g->c_nodes, g->n_nodes, sizeof(raw_node)))) break;
            e = parse_node(c, &m, &f, &g->nodes[g->n_nodes], (int)g->n_nodes);
            g->n_nodes++;
            if (e) return e;
            break;
        case 2:
            if (f.wire != VRT__PB_LEN) {
                e = VRT_EBADDATA;
                break;
            }
            vrt_free(g->name);
            if (!(g->name = dup_bytes(f.data, f.len))) e = VRT_ENOMEM;
            break;
        case 5:
            if ((e = grow_arr((void **)&g->inits, &g->c_inits, g->n_inits, sizeof(vrt__tensor)))) break;
            e = parse_tensor(c, &m, &f, NULL, 0, &g->inits[g->n_inits], 1, "initializer");
            g->n_inits++;
            if (e) return e;
            break;
        case 15: return fail(c, VRT_EUNSUPPORTED, "sparse initializers are not supported");
        case 11:
        case 12: {
            raw_vi **arr = f.num == 11 ? &g->ins : &g->outs;
            size_t *n = f.num == 11 ? &g->n_ins : &g->n_outs, *cp = f.num == 11 ? &g->c_ins : &g->c_outs;
            if ((e = grow_arr((void **)arr, cp, *n, sizeof(raw_vi)))) break;
            e = parse_vi(c, &m, &f, &(*arr)[*n]);
            (*n)++;
            if (e) return e;
            break;
        }
        default: break; /* value_info (13), doc_string, annotations: not needed */
        }
        if (e == VRT_ENOMEM) return fail(c, VRT_ENOMEM, "out of memory");
        if (e) return fail(c, VRT_EBADDATA, "graph: malformed field %u", f.num);
    }
    if (st != VRT_EOF) return fail(c, VRT_EBADDATA, "graph: malformed (truncated or corrupt)");
    return VRT_OK;
}

/* ---- IR building ------------------------------------------------------------------ */

static vrt_status tensor_from_constant(ctx *c, raw_node *n, vrt__tensor *t) {
    const char *nm = n->name ? n->name : "";
    if (n->n_out != 1) return fail(c, VRT_EBADDATA, "Constant node '%s' must have one output", nm);
    if (n->n_attrs != 1)
        return fail(c, VRT_EBADDATA, "Constant node '%s' must have exactly one value attribute", nm);
    vrt__attr *a = &n->attrs[0];
    memset(t, 0, sizeof(*t));
    t->producer = -1;
    t->shape_known = 1;
    if (!strcmp(a->name, "value") && a->type == VRT__AT_TENSOR) {
        *t = a->tensors[0]; /* steal */
        memset(&a->tensors[0], 0, sizeof(vrt__tensor));
        vrt_free(t->name);
        t->name = NULL;
    } else if (!strcmp(a->name, "value_float") && a->type == VRT__AT_FLOAT) {
        t->dtype = VRT__DT_FLOAT;
        t->data = vrt_malloc(4);
        if (!t->data) return VRT_ENOMEM;
        memcpy(t->data, &a->f, 4);
        t->nbytes = 4;
    } else if (!strcmp(a->name, "value_int") && a->type == VRT__AT_INT) {
        t->dtype = VRT__DT_INT64;
        t->data = vrt_malloc(8);
        if (!t->data) return VRT_ENOMEM;
        memcpy(t->data, &a->i, 8);
        t->nbytes = 8;
    } else if (!strcmp(a->name, "value_floats") && a->type == VRT__AT_FLOATS) {
        t->dtype = VRT__DT_FLOAT;
        t->shape.ndim = 1;
        t->shape.d[0] = a->n;
        t->data = vrt_malloc((size_t)a->n * 4 + 1);
        if (!t->data) return VRT_ENOMEM;
        if (a->n) memcpy(t->data, a->floats, (size_t)a->n * 4);
        t->nbytes = (size_t)a->n * 4;
    } else if (!strcmp(a->name, "value_ints") && a->type == VRT__AT_INTS) {
        t->dtype = VRT__DT_INT64;
        t->shape.ndim = 1;
        t->shape.d[0] = a->n;
        t->data = vrt_malloc((size_t)a->n * 8 + 1);
        if (!t->data) return VRT_ENOMEM;
        if (a->n) memcpy(t->data, a->ints, (size_t)a->n * 8);
        t->nbytes = (size_t)a->n * 8;
    } else {
        return fail(c, VRT_EUNSUPPORTED,
                    "Constant node '%s': attribute '%s' is not supported (supported: value, value_float(s), "
                    "value_int(s))",
                    nm, a->name);
    }
    t->kind = VRT__TK_WEIGHT;
    t->shape_known = 1;
    return VRT_OK;
}

static int model_dtype_ok(vrt__dtype dt) {
    /* DOUBLE and the low-precision types are held as fp32 (or int8/uint8)
     * inside the engine (model/lowp.h). */
    return dt != VRT__DT_STRING && dt_size(dt) > 0;
}

static vrt_status apply_input_shape(ctx *c, vrt__tensor *t, const raw_vi *v, const vrt__ir_params *p) {
    if (v->not_tensor)
        return fail(c, VRT_EUNSUPPORTED, "input '%s' is not a tensor (sequences/maps are not supported)",
                    t->name);
    if (v->too_many)
        return fail(c, VRT_EUNSUPPORTED, "input '%s' has more than %d dimensions", t->name, VRT__MAX_DIMS);
    if (!v->has_shape)
        return fail(c, VRT_EUNSUPPORTED, "input '%s' has no shape in the model; a static shape is needed",
                    t->name);
    t->dtype = (vrt__dtype)v->elem_type;
    if (!model_dtype_ok(t->dtype))
        return fail(c, VRT_EUNSUPPORTED,
                    "input '%s' has data type %lld; supported: float, float16, double, bfloat16, float8, "
                    "float4, (u)int2/4/8/16/32/64, bool",
                    t->name, (long long)v->elem_type);
    t->shape.ndim = v->ndim;
    for (int i = 0; i < v->ndim; i++)
        t->shape.d[i] = v->d[i];
    int n = v->ndim;
    if (p) {
        if (n >= 1 && p->batch > 0) t->shape.d[0] = p->batch;
        if (n == 4 && p->height > 0) t->shape.d[2] = p->height;
        if (n == 4 && p->width > 0) t->shape.d[3] = p->width;
    }
    if (n >= 1 && t->shape.d[0] < 0) t->shape.d[0] = 1; /* symbolic batch: 1 */
    for (int i = 0; i < n; i++) {
        if (t->shape.d[i] < 0) {
            const char *what = n == 4 && i == 2 ? "height" : n == 4 && i == 3 ? "width" : NULL;
            return fail(c, VRT_EINVAL, "input '%s' dimension %d is not fixed (%s)%s%s%s", t->name, i,
                        v->param[i] ? v->param[i] : "unknown",
                        what ? "; give it with the '" : "; only batch, height and width can be set at load",
                        what ? what : "", what ? "' load parameter" : "");
        }
    }
    /* Bounded before anything is planned: a 10^6 x 10^6 image would ask for
     * terabytes of activations (core/checked.h). */
    int64_t cnt;
    if (!vrt__dims_numel(t->shape.d, n, VRT__MAX_TENSOR_ELEMS, &cnt) ||
        cnt > VRT__MAX_TENSOR_BYTES / (int64_t)(dt_size(t->dtype) ? dt_size(t->dtype) : 1)) {
        char dims[200];
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof(dims) - 24; i++)
            len += (size_t)snprintf(dims + len, sizeof(dims) - len, "%s%lld", i ? "x" : "",
                                    (long long)t->shape.d[i]);
        dims[len] = 0;
        return fail(
            c, VRT_EINVAL,
            "input '%s' is declared %s (%s), more than the %lld elements (%lld GiB) a tensor may have%s",
            t->name, n ? dims : "scalar",
            p && (p->height > 0 || p->width > 0) ? "after the overrides" : "as the model declares it",
            (long long)VRT__MAX_TENSOR_ELEMS, (long long)(VRT__MAX_TENSOR_BYTES >> 30),
            n == 4 ? "; give a smaller size with --height/--width (load parameters height, width)" : "");
    }
    t->shape_known = 1;
    return VRT_OK;
}

/* Initializers become WEIGHT tensors (moved out of g). */
static vrt_status ir_add_inits(ctx *c, raw_graph *g) {
    vrt__ir *ir = c->ir;
    for (size_t i = 0; i < g->n_inits; i++) {
        vrt__tensor *src = &g->inits[i];
        if (!src->name || !src->name[0]) return fail(c, VRT_EBADDATA, "initializer #%zu has no name", i);
        if (lookup(c, src->name) >= 0)
            return fail(c, VRT_EBADDATA, "initializer '%s' is defined twice", src->name);
        int idx = add_named(c, src->name);
        if (idx < 0) return VRT_ENOMEM;
        vrt__tensor *t = &ir->tensors[idx];
        char *nm = t->name;
        *t = *src;
        t->name = nm;
        vrt_free(src->name);
        memset(src, 0, sizeof(*src));
        t->kind = VRT__TK_WEIGHT;
        t->producer = -1;
        if (!model_dtype_ok(t->dtype))
            return fail(c, VRT_EUNSUPPORTED,
                        "initializer '%s' has data type %s; supported: float, float16, double, int64, int32, "
                        "int8, uint8, bool",
                        t->name, vrt__dtype_name(t->dtype));
    }
    return VRT_OK;
}

/* A graph input the caller binds to a constant (vrt__ir_params const_inputs)
 * becomes a WEIGHT tensor holding a copy of it. */
static vrt_status ir_bind_const_input(ctx *c, vrt__tensor *t, const raw_vi *v, const vrt__tensor *bound) {
    if (v->has_shape && (bound->dtype != (vrt__dtype)v->elem_type || bound->shape.ndim != v->ndim))
        return fail(c, VRT_EINVAL, "constant given for input '%s' does not match its declared type/rank",
                    v->name);
    if (!model_dtype_ok(bound->dtype) || !bound->data)
        return fail(c, VRT_EUNSUPPORTED, "constant for input '%s' has data type %s; not supported", v->name,
                    vrt__dtype_name(bound->dtype));
    t->kind = VRT__TK_WEIGHT;
    t->dtype = bound->dtype;
    t->shape = bound->shape;
    t->shape_known = 1;
    t->nbytes = bound->nbytes;
    if (!(t->data = vrt_malloc(bound->nbytes + 1))) return VRT_ENOMEM;
    memcpy(t->data, bound->data, bound->nbytes);
    return VRT_OK;
}

/* Graph inputs that are not initializers: INPUT tensors with their load-time
 * shape, or constants the caller binds. */
static vrt_status ir_add_inputs(ctx *c, raw_graph *g, const vrt__ir_params *p) {
    vrt__ir *ir = c->ir;
    vrt_status st;
    int *ins = vrt_calloc(g->n_ins + 1, sizeof(int));
    if (!ins) return VRT_ENOMEM;
    ir->inputs = ins;
    for (size_t i = 0; i < g->n_ins; i++) {
        raw_vi *v = &g->ins[i];
        int idx = lookup(c, v->name);
        if (idx >= 0) {
            if (ir->tensors[idx].kind == VRT__TK_WEIGHT) continue;
            return fail(c, VRT_EBADDATA, "graph input '%s' is listed twice", v->name);
        }
        if (!v->name[0]) return fail(c, VRT_EBADDATA, "graph input #%zu has no name", i);
        idx = add_named(c, v->name);
        if (idx < 0) return VRT_ENOMEM;
        ir->tensors[idx].kind = VRT__TK_INPUT;
        const vrt__tensor *bound = NULL;
        for (int k = 0; p && k < p->n_const_inputs; k++)
            if (p->const_inputs[k].name && !strcmp(p->const_inputs[k].name, v->name))
                bound = &p->const_inputs[k];
        if (bound) {
            if ((st = ir_bind_const_input(c, &ir->tensors[idx], v, bound))) return st;
            continue;
        }
        if ((st = apply_input_shape(c, &ir->tensors[idx], v, p))) return st;
        ir->inputs[ir->n_inputs++] = idx;
    }
    return VRT_OK;
}

/* The node's op from the supported-op table, checked against its domain and the opset. */
static vrt_status node_check_op(ctx *c, const raw_node *rn, const char *label, int64_t opset, vrt__op *out) {
    const char *dom = rn->domain ? rn->domain : "";
    if (dom[0] && strcmp(dom, "ai.onnx")) {
        return fail(c, VRT_EUNSUPPORTED,
                    "node '%s': op '%s' of domain '%s' is not supported (only the default ONNX domain)",
                    label, rn->op_type, dom);
    }
    vrt__op op = vrt__op_lookup(rn->op_type);
    if (op == VRT__OP_UNKNOWN) {
        char list[2048];
        vrt__op_list_supported(list, sizeof(list));
        return fail(c, VRT_EUNSUPPORTED,
                    "node '%s': op '%s' (opset %lld) is not supported; supported ops: %s", label, rn->op_type,
                    (long long)opset, list);
    }
    const vrt__op_info *oi = vrt__op_get(op);
    int hi = oi->max_opset ? oi->max_opset : VRT__MAX_OPSET;
    if (opset < oi->min_opset || opset > hi)
        return fail(c, VRT_EUNSUPPORTED,
                    "node '%s': op '%s' at opset %lld is not supported; supported for opsets %d..%d", label,
                    rn->op_type, (long long)opset, oi->min_opset, hi);
    *out = op;
    return VRT_OK;
}

/* A Constant node becomes a WEIGHT tensor (not a node). */
static vrt_status node_add_constant(ctx *c, raw_node *rn, const char *label) {
    vrt__ir *ir = c->ir;
    vrt__tensor tmp;
    vrt_status st = tensor_from_constant(c, rn, &tmp);
    if (st) {
        vrt_free(tmp.data);
        return st;
    }
    if (!rn->out[0][0] || lookup(c, rn->out[0]) >= 0) {
        vrt_free(tmp.data);
        return fail(c, VRT_EBADDATA, "Constant node '%s': output '%s' is defined twice", label, rn->out[0]);
    }
    int idx = add_named(c, rn->out[0]);
    if (idx < 0) {
        vrt_free(tmp.data);
        return VRT_ENOMEM;
    }
    char *nm = ir->tensors[idx].name;
    ir->tensors[idx] = tmp;
    ir->tensors[idx].name = nm;
    if (!model_dtype_ok(ir->tensors[idx].dtype))
        return fail(c, VRT_EUNSUPPORTED, "Constant node '%s' has data type %s; not supported", label,
                    vrt__dtype_name(ir->tensors[idx].dtype));
    return VRT_OK;
}

/* The node's input and output tensors by name. An input not seen yet is
 * added with kind -1 (produced by a later node, or undefined: checked once
 * every node is in); an output must not be defined already. */
static vrt_status node_link(ctx *c, const raw_node *rn, vrt__node *n, const char *label) {
    vrt__ir *ir = c->ir;
    for (size_t k = 0; k < rn->n_in; k++) {
        const char *nm = rn->in[k];
        int idx = -1;
        if (nm[0] && (idx = lookup(c, nm)) < 0) {
            if ((idx = add_named(c, nm)) < 0) return VRT_ENOMEM;
            ir->tensors[idx].kind = -1;
        }
        n->inputs[n->n_inputs++] = idx;
    }
    for (size_t k = 0; k < rn->n_out; k++) {
        const char *nm = rn->out[k];
        int idx = -1;
        if (nm[0]) {
            idx = lookup(c, nm);
            if (idx >= 0 && (int)ir->tensors[idx].kind != -1)
                return fail(c, VRT_EBADDATA,
                            "node '%s': output '%s' is already defined (graph input, initializer or "
                            "another node's output)",
                            label, nm);
            if (idx < 0 && (idx = add_named(c, nm)) < 0) return VRT_ENOMEM;
            ir->tensors[idx].kind = VRT__TK_INTERMEDIATE;
            ir->tensors[idx].producer = ir->n_nodes - 1;
        }
        n->outputs[n->n_outputs++] = idx;
    }
    return VRT_OK;
}

/* Appends the node (its op type and attributes moved out of rn). */
static vrt_status node_add(ctx *c, raw_node *rn, vrt__op op, int64_t opset, const char *label) {
    vrt__ir *ir = c->ir;
    vrt__node *n = &ir->nodes[ir->n_nodes];
    memset(n, 0, sizeof(*n));
    ir->n_nodes++;
    n->op = op;
    n->opset = (int)opset;
    n->name = vrt_strdup(label);
    n->op_type = rn->op_type, rn->op_type = NULL;
    n->domain = vrt_strdup("");
    n->attrs = rn->attrs, rn->attrs = NULL;
    n->n_attrs = (int)rn->n_attrs, rn->n_attrs = 0;
    n->inputs = vrt_malloc((rn->n_in + 1) * sizeof(int));
    n->outputs = vrt_malloc((rn->n_out + 1) * sizeof(int));
    if (!n->name || !n->domain || !n->inputs || !n->outputs) return VRT_ENOMEM;
    return node_link(c, rn, n, label);
}

/* Nodes (Constant nodes become weights). */
static vrt_status ir_add_nodes(ctx *c, raw_graph *g) {
    vrt__ir *ir = c->ir;
    vrt_status st;
    ir->nodes = vrt_calloc(g->n_nodes + 1, sizeof(vrt__node));
    if (!ir->nodes) return VRT_ENOMEM;
    ir->cap_nodes = (int)g->n_nodes + 1;
    int64_t opset = vrt__ir_opset(ir, "");
    for (size_t i = 0; i < g->n_nodes; i++) {
        raw_node *rn = &g->nodes[i];
        char label[128];
        snprintf(label, sizeof(label), "%s", rn->name && rn->name[0] ? rn->name : "");
        if (!label[0]) snprintf(label, sizeof(label), "%s_%zu", rn->op_type, i);
        vrt__op op = VRT__OP_UNKNOWN;
        if ((st = node_check_op(c, rn, label, opset, &op))) return st;
        st = op == VRT__OP_Constant ? node_add_constant(c, rn, label) : node_add(c, rn, op, opset, label);
        if (st) return st;
    }
    /* Every input must be defined somewhere. */
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++) {
            int idx = ir->nodes[i].inputs[k];
            if (idx >= 0 && (int)ir->tensors[idx].kind == -1)
                return fail(c, VRT_EBADDATA,
                            "node '%s' (%s): input '%s' is not defined (not a graph input, initializer or "
                            "node output)",
                            ir->nodes[i].name, ir->nodes[i].op_type, ir->tensors[idx].name);
        }
    return VRT_OK;
}

static vrt_status ir_add_outputs(ctx *c, raw_graph *g) {
    vrt__ir *ir = c->ir;
    ir->outputs = vrt_calloc(g->n_outs + 1, sizeof(int));
    if (!ir->outputs) return VRT_ENOMEM;
    for (size_t i = 0; i < g->n_outs; i++) {
        int idx = lookup(c, g->outs[i].name);
        if (idx < 0)
            return fail(c, VRT_EBADDATA, "graph output '%s' is not produced by any node", g->outs[i].name);
        vrt__tensor *t = &ir->tensors[idx];
        t->is_output = 1;
        if (t->kind == VRT__TK_INTERMEDIATE) t->kind = VRT__TK_OUTPUT;
        ir->outputs[ir->n_outputs++] = idx;
    }
    if (ir->n_outputs == 0) return fail(c, VRT_EBADDATA, "the graph has no outputs");
    return VRT_OK;
}

static vrt_status build_ir(ctx *c, raw_graph *g, const vrt__ir_params *p) {
    vrt__ir *ir = c->ir;
    vrt_status st;
    ir->graph_name = vrt_strdup(g->name ? g->name : "");
    if (!ir->graph_name) return VRT_ENOMEM;
    if ((st = ir_add_inits(c, g)) || (st = ir_add_inputs(c, g, p)) || (st = ir_add_nodes(c, g))) return st;
    return ir_add_outputs(c, g);
}

/* Kahn's algorithm; on a cycle, names the nodes left over. */
static vrt_status topo_sort(ctx *c) {
    vrt__ir *ir = c->ir;
    int nn = ir->n_nodes;
    if (nn == 0) return VRT_OK;
    int *indeg = vrt_calloc((size_t)nn, sizeof(int));
    int *order = vrt_calloc((size_t)nn, sizeof(int));
    vrt__node *sorted = vrt_calloc((size_t)nn, sizeof(vrt__node));
    vrt_status st = VRT_OK;
    if (!indeg || !order || !sorted) {
        st = VRT_ENOMEM;
        goto out;
    }
    if ((st = vrt__ir_relink(ir))) goto out;
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++) {
            int t = ir->nodes[i].inputs[k];
            if (t >= 0 && ir->tensors[t].producer >= 0) indeg[i]++;
        }
    int head = 0, tail = 0;
    for (int i = 0; i < nn; i++)
        if (!indeg[i]) order[tail++] = i;
    while (head < tail) {
        int i = order[head++];
        for (int k = 0; k < ir->nodes[i].n_outputs; k++) {
            int t = ir->nodes[i].outputs[k];
            if (t < 0) continue;
            for (int u = 0; u < ir->tensors[t].n_consumers; u++)
                if (--indeg[ir->tensors[t].consumers[u]] == 0) order[tail++] = ir->tensors[t].consumers[u];
        }
    }
    if (tail != nn) {
        char names[512] = "";
        size_t len = 0;
        for (int i = 0; i < nn && len + 80 < sizeof(names); i++)
            if (indeg[i] > 0)
                len += (size_t)snprintf(names + len, sizeof(names) - len, "%s'%s'", len ? ", " : "",
                                        ir->nodes[i].name);
        st = fail(c, VRT_EBADDATA, "the graph has a cycle through nodes %s", names);
        goto out;
    }
    for (int i = 0; i < nn; i++)
        sorted[i] = ir->nodes[order[i]];
    memcpy(ir->nodes, sorted, (size_t)nn * sizeof(vrt__node));
    st = vrt__ir_relink(ir);
out:
    vrt_free(indeg);
    vrt_free(order);
    vrt_free(sorted);
    return st;
}

static vrt_status parse_model(ctx *c, const uint8_t *buf, size_t len, const vrt__ir_params *p) {
    vrt__ir *ir = c->ir;
    vrt__pb m, o;
    vrt__pb_field f, g;
    vrt_status st;
    vrt__pb_init(&m, buf, len);
    raw_graph graph;
    memset(&graph, 0, sizeof(graph));
    int has_graph = 0;
    vrt__pb_field graph_field = {0};
    while ((st = vrt__pb_next(&m, &f)) == VRT_OK) {
        if (f.num == 1 && f.wire == VRT__PB_VARINT)
            ir->ir_version = (int64_t)f.v;
        else if ((f.num == 2 || f.num == 3) && f.wire == VRT__PB_LEN) {
            char **dst = f.num == 2 ? &ir->producer_name : &ir->producer_version;
            vrt_free(*dst);
            if (!(*dst = dup_bytes(f.data, f.len))) return VRT_ENOMEM;
        } else if (f.num == 7) {
            if (f.wire != VRT__PB_LEN)
                return fail(c, VRT_EBADDATA, "not an ONNX model: field 'graph' has the wrong type");
            graph_field = f;
            has_graph = 1;
        } else if (f.num == 8) {
            if (vrt__pb_sub(&m, &f, &o)) return fail(c, VRT_EBADDATA, "malformed opset_import");
            char *dom = NULL;
            int64_t ver = 0;
            while ((st = vrt__pb_next(&o, &g)) == VRT_OK) {
                if (g.num == 1 && g.wire == VRT__PB_LEN) {
                    vrt_free(dom);
                    if (!(dom = dup_bytes(g.data, g.len))) return VRT_ENOMEM;
                }
                if (g.num == 2 && g.wire == VRT__PB_VARINT) ver = (int64_t)g.v;
            }
            if (st != VRT_EOF) {
                vrt_free(dom);
                return fail(c, VRT_EBADDATA, "malformed opset_import");
            }
            if (ir->n_opsets >= 256) {
                vrt_free(dom);
                return fail(c, VRT_EBADDATA, "too many opset imports");
            }
            vrt__opset_entry *e = vrt_realloc(ir->opsets, (size_t)(ir->n_opsets + 1) * sizeof(*e));
            if (!e) {
                vrt_free(dom);
                return VRT_ENOMEM;
            }
            ir->opsets = e;
            e[ir->n_opsets].domain = dom ? dom : vrt_strdup("");
            e[ir->n_opsets].version = ver;
            if (!e[ir->n_opsets].domain) return VRT_ENOMEM;
            ir->n_opsets++;
        }
    }
    if (st != VRT_EOF)
        return fail(c, VRT_EBADDATA, "not an ONNX model or truncated/corrupt (protobuf decoding failed)");
    if (!has_graph) return fail(c, VRT_EBADDATA, "not an ONNX model: no graph");
    int64_t opset = vrt__ir_opset(ir, "");
    if (opset == 0 && ir->n_opsets == 0) {
        /* Very old files (IR 1-2) carry no opset import: they are opset 1. */
        opset = 1;
    }
    if (opset < VRT__MIN_OPSET || opset > VRT__MAX_OPSET)
        return fail(c, VRT_EUNSUPPORTED, "model imports ONNX opset %lld; supported: %d..%d", (long long)opset,
                    VRT__MIN_OPSET, VRT__MAX_OPSET);
    if (ir->n_opsets == 0) {
        ir->opsets = vrt_calloc(1, sizeof(vrt__opset_entry));
        if (!ir->opsets || !(ir->opsets[0].domain = vrt_strdup(""))) return VRT_ENOMEM;
        ir->opsets[0].version = 1;
        ir->n_opsets = 1;
    }
    st = parse_graph(c, &m, &graph_field, &graph);
    if (!st) st = build_ir(c, &graph, p);
    raw_graph_free(&graph);
    if (st) return st;
    if ((st = topo_sort(c))) return st;
    return vrt__ir_infer(ir, c->err, c->cap);
}

static vrt_status load_common(const uint8_t *buf, size_t len, const char *path, const vrt__ir_params *p,
                              vrt__ir **out, char *err, size_t cap) {
    *out = NULL;
    if (err && cap) err[0] = 0;
    vrt__ir *ir = vrt_calloc(1, sizeof(*ir));
    if (!ir) return VRT_ENOMEM;
    ctx c = {0};
    c.ir = ir;
    c.err = err;
    c.cap = cap;
    vrt_status st = VRT_OK;
    if (path) {
        ir->path = vrt_strdup(path);
        ir->dir = vrt_strdup(path);
        if (!ir->path || !ir->dir) {
            st = VRT_ENOMEM;
            goto out;
        }
        char *slash = strrchr(ir->dir, '/');
        if (slash == ir->dir)
            slash[1] = 0;
        else if (slash)
            *slash = 0;
        else
            strcpy(ir->dir, ".");
        c.dir = ir->dir;
    }
    st = parse_model(&c, buf, len, p);
out:
    vrt_free(c.hash);
    if (st) {
        if (st == VRT_ENOMEM && err && cap && !err[0])
            vrt_errbuf_set(err, cap, "out of memory while loading the model");
        vrt__ir_destroy(&ir);
        return st;
    }
    *out = ir;
    return VRT_OK;
}

vrt_status vrt__ir_load_onnx_buffer(const uint8_t *buf, size_t len, const vrt__ir_params *params,
                                    vrt__ir **out, char *err, size_t cap) {
    return load_common(buf, len, NULL, params, out, err, cap);
}

vrt_status vrt__ir_load_onnx(const char *path, const vrt__ir_params *params, vrt__ir **out, char *err,
                             size_t cap) {
    uint8_t *buf;
    size_t len;
    *out = NULL;
    vrt_status st = read_file(path, &buf, &len, err, cap);
    if (st) return st;
    st = load_common(buf, len, path, params, out, err, cap);
    vrt_free(buf);
    if (st && err && cap) { /* prefix the file name */
        char tmp[1024], pb[200];
        const char *shown = msg_path(path, pb, sizeof(pb));
        snprintf(tmp, sizeof(tmp), "%s", err);
        if (strncmp(tmp, shown, strlen(shown))) snprintf(err, cap, "%s: %s", shown, tmp);
    }
    return st;
}
