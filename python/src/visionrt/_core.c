/*
 * _core.c - the CPython extension under the visionrt package: Session, Source, Frame, Pipeline and
 * Result over the public C API only (include/vrt/), so it links the shared libvrt.so (or the static
 * archive) and depends on no internal layout.
 *
 * Frames out (Source): a Frame holds one reference to the library's vrt_frame and exports its pixels
 * through the buffer protocol (shape, strides), so numpy.asarray(frame) is a view of the capture
 * buffer itself; the reference is dropped when the Frame (and so every array over it) is gone.
 * Frames in (Session.run/submit): any C-contiguous buffer of the session's frame size; run() hands
 * the library a descriptor over it (the library copies it into a slot), submit() copies it into a
 * free slot's buffer. Every call that can wait (model load, run, wait, source read, pipeline wait
 * and stop) releases the GIL. Errors raise visionrt.Error with the library's detail message.
 * Results are copied out of the library's storage at once (it is reused by the next submission).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/core.h"
#include "vrt/engine.h"
#include "vrt/frame.h"
#include "vrt/image.h"
#include "vrt/pipeline.h"
#include "vrt/result.h"
#include "vrt/session.h"
#include "vrt/sink.h"
#include "vrt/source.h"

static PyObject *Error;          /* visionrt.Error */
static PyTypeObject ResultType;  /* defined below */
static PyTypeObject FrameType;   /* defined below */
static PyObject *numpy_asarray;  /* numpy.asarray, imported on first use */
static PyTypeObject *ClassType;  /* visionrt.Class(index, score, label) */
static PyTypeObject *DetectType; /* visionrt.Detection(x1, y1, x2, y2, score, class_id, label) */

/* Raises visionrt.Error(status, message): message is the library's detail, else the status text. */
static PyObject *raise_status(int st, const char *detail) {
    const char *msg = detail && detail[0] ? detail : vrt_status_str(st);
    PyObject *e = PyObject_CallFunction(Error, "s", msg);
    if (!e) return NULL;
    PyObject *code = PyLong_FromLong(st), *name = PyUnicode_FromString(vrt_status_name(st));
    if (code && name && PyObject_SetAttrString(e, "status", code) == 0 &&
        PyObject_SetAttrString(e, "name", name) == 0)
        PyErr_SetObject(Error, e);
    Py_XDECREF(code);
    Py_XDECREF(name);
    Py_DECREF(e);
    return NULL;
}

static PyObject *to_numpy(PyObject *obj) {
    if (!numpy_asarray) {
        PyObject *np = PyImport_ImportModule("numpy");
        if (!np) return NULL;
        numpy_asarray = PyObject_GetAttrString(np, "asarray");
        Py_DECREF(np);
        if (!numpy_asarray) return NULL;
    }
    return PyObject_CallOneArg(numpy_asarray, obj);
}

/* ---- _Array: owned memory (boxes, maps, keypoints) exported to numpy ------------------------- */

typedef struct {
    PyObject_HEAD void *data;
    Py_ssize_t shape[3], strides[3];
    int ndim;
    char format[2];
    Py_ssize_t itemsize;
} ArrayObject;

static void array_dealloc(ArrayObject *a) {
    PyMem_Free(a->data);
    Py_TYPE(a)->tp_free((PyObject *)a);
}

static int array_getbuffer(ArrayObject *a, Py_buffer *v, int flags) {
    Py_ssize_t n = a->itemsize;
    for (int i = 0; i < a->ndim; i++)
        n *= a->shape[i];
    if (PyBuffer_FillInfo(v, (PyObject *)a, a->data, n, 1, flags) < 0) return -1;
    v->format = (flags & PyBUF_FORMAT) ? a->format : NULL;
    v->itemsize = a->itemsize;
    v->ndim = a->ndim;
    v->shape = (flags & PyBUF_ND) ? a->shape : NULL;
    v->strides = (flags & PyBUF_STRIDES) ? a->strides : NULL;
    return 0;
}

static PyBufferProcs array_as_buffer = {(getbufferproc)array_getbuffer, NULL};
static PyTypeObject ArrayType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt._core._Array",
    .tp_basicsize = sizeof(ArrayObject),
    .tp_dealloc = (destructor)array_dealloc,
    .tp_as_buffer = &array_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "owned memory exported through the buffer protocol (numpy.asarray views it)",
};

/* A zeroed C-order numpy array of ndim (1..3) dimensions of items of struct format fmt: 'f' (float32),
 * 'i' (int32), 'B' (uint8), '?' (bool); *data gets its memory for the caller to fill. */
static PyObject *new_array(int ndim, const Py_ssize_t *shape, char fmt, void **data) {
    ArrayObject *a = PyObject_New(ArrayObject, &ArrayType);
    if (!a) return NULL;
    a->itemsize = (fmt == 'f' || fmt == 'i') ? 4 : 1;
    a->format[0] = fmt;
    a->format[1] = 0;
    a->ndim = ndim;
    size_t n = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        a->shape[i] = shape[i];
        a->strides[i] = (Py_ssize_t)n * a->itemsize;
        n *= (size_t)shape[i];
    }
    a->data = PyMem_Calloc(n ? n : 1, (size_t)a->itemsize);
    if (!a->data) {
        Py_DECREF(a);
        return PyErr_NoMemory();
    }
    *data = a->data;
    PyObject *arr = to_numpy((PyObject *)a);
    Py_DECREF(a);
    return arr;
}

/* ---- Result ------------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD PyObject *kind, *task, *classes, *detections, *times; /* times: built on first access */
    PyObject *maps;      /* dict: map name (vrt_map_name) -> numpy array in frame geometry */
    PyObject *keypoints; /* numpy float32 (N, K, 3) for KEYPOINTS, else None */
    int64_t time_ns[VRT_TIME_COUNT];
    long long sequence, timestamp_ns;
    int slot, stream, candidates, has_depth;
    float depth_min, depth_max, depth_mean;
    long long frame_number, index;
} ResultObject;

static void result_dealloc(ResultObject *r) {
    Py_XDECREF(r->kind);
    Py_XDECREF(r->task);
    Py_XDECREF(r->classes);
    Py_XDECREF(r->detections);
    Py_XDECREF(r->times);
    Py_XDECREF(r->maps);
    Py_XDECREF(r->keypoints);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static PyObject *label_or_none(const char *s) {
    if (s) return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
    Py_RETURN_NONE;
}

/* visionrt.Class(index, score, label): a classifier's or a cascade's entry. */
static PyObject *new_class(int index, float score, const char *label) {
    PyObject *c = PyStructSequence_New(ClassType);
    if (!c) return NULL;
    PyStructSequence_SetItem(c, 0, PyLong_FromLong(index));
    PyStructSequence_SetItem(c, 1, PyFloat_FromDouble(score));
    PyStructSequence_SetItem(c, 2, label_or_none(label));
    return c;
}

/* n Classes: entry k from get(r, i, k, ...) (i: the detection for a cascade, unused for a classifier). */
typedef vrt_status (*class_getter)(const vrt_result *r, int i, int k, int *index, float *score,
                                   const char **label);

static vrt_status get_class(const vrt_result *r, int i, int k, int *index, float *score, const char **label) {
    *label = vrt_result_label(r, k);
    return vrt_result_class(r, k, index, score);
}

static vrt_status get_secondary(const vrt_result *r, int i, int k, int *index, float *score,
                                const char **label) {
    *label = vrt_result_secondary_label(r, i, k);
    return vrt_result_secondary(r, i, k, index, score);
}

static PyObject *class_list(const vrt_result *r, int i, int n, class_getter get) {
    PyObject *list = PyList_New(n > 0 ? n : 0);
    for (int k = 0; list && k < n; k++) {
        int index = 0;
        float score = 0;
        const char *label = NULL;
        get(r, i, k, &index, &score, &label);
        PyObject *c = new_class(index, score, label);
        if (!c)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, k, c);
    }
    return list;
}

static PyObject *detection_list(const vrt_result *r) {
    vrt_result_type k = vrt_result_kind(r);
    int n = (k == VRT_RESULT_DETECTIONS || k == VRT_RESULT_KEYPOINTS) ? vrt_result_count(r) : 0;
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        vrt_detection d;
        vrt_result_detection(r, i, &d);
        PyObject *o = PyStructSequence_New(DetectType);
        PyObject *sec = class_list(r, i, vrt_result_secondary_count(r, i), get_secondary);
        if (!o || !sec) {
            Py_XDECREF(o);
            Py_XDECREF(sec);
            Py_CLEAR(list);
            break;
        }
        const double v[5] = {d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score};
        for (int j = 0; j < 5; j++)
            PyStructSequence_SetItem(o, j, PyFloat_FromDouble(v[j]));
        PyStructSequence_SetItem(o, 5, PyLong_FromLong(d.class_id));
        PyStructSequence_SetItem(o, 6, label_or_none(vrt_result_label(r, i)));
        PyStructSequence_SetItem(o, 7, sec);
        PyList_SET_ITEM(list, i, o);
    }
    return list;
}

/* Copies map `which` out of r (rows packed): numpy (H, W) float32 / uint8, (H, W, 3) uint8 for RGB;
 * Py_None when r has no such map. */
static PyObject *map_copy(const vrt_result *r, vrt_map_id which) {
    int w = 0, h = 0;
    size_t stride = 0;
    vrt_map_type type = VRT_MAP_U8;
    const uint8_t *src = vrt_result_map(r, which, &w, &h, &stride, &type);
    if (!src) Py_RETURN_NONE;
    const Py_ssize_t shape[3] = {h, w, 3};
    const size_t row = (size_t)w * (type == VRT_MAP_F32 ? 4 : type == VRT_MAP_RGB8 ? 3 : 1);
    void *data;
    PyObject *arr = new_array(type == VRT_MAP_RGB8 ? 3 : 2, shape, type == VRT_MAP_F32 ? 'f' : 'B', &data);
    for (int y = 0; arr && y < h; y++)
        memcpy((uint8_t *)data + (size_t)y * row, src + (size_t)y * stride, row);
    return arr;
}

static const vrt_map_id map_ids[] = {VRT_MAP_DEPTH, VRT_MAP_DEPTH_RAW, VRT_MAP_DEPTH_COLOR, VRT_MAP_CLASSES,
                                     VRT_MAP_INSTANCES};

/* Every map r has, by name (vrt_map_name): {} for classes and plain detections. */
static PyObject *map_dict(const vrt_result *r) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < sizeof map_ids / sizeof map_ids[0]; i++) {
        if (!vrt_result_map(r, map_ids[i], NULL, NULL, NULL, NULL)) continue;
        PyObject *a = map_copy(r, map_ids[i]);
        if (!a || PyDict_SetItemString(d, vrt_map_name(map_ids[i]), a) < 0) Py_CLEAR(d);
        Py_XDECREF(a);
    }
    return d;
}

/* KEYPOINTS: numpy float32 (N, K, 3): x, y (frame pixels), score; None for another kind. */
static PyObject *keypoint_array(const vrt_result *r) {
    const int nk = vrt_result_num_keypoints(r);
    if (nk <= 0) Py_RETURN_NONE;
    const Py_ssize_t shape[3] = {vrt_result_count(r), nk, 3};
    void *data;
    PyObject *arr = new_array(3, shape, 'f', &data);
    float *p = data;
    for (int i = 0; arr && i < shape[0]; i++)
        for (int j = 0; j < nk; j++, p += 3)
            vrt_result_keypoint(r, i, j, &p[0], &p[1], &p[2]);
    return arr;
}

/* Keys of Result.times; a stage this table does not name yet is left out. */
static const char *const time_names[VRT_TIME_COUNT] = {
    [VRT_TIME_UPLOAD] = "upload",       [VRT_TIME_PREPROCESS] = "preprocess",
    [VRT_TIME_MODEL] = "model",         [VRT_TIME_POSTPROCESS] = "postprocess",
    [VRT_TIME_DOWNLOAD] = "download",   [VRT_TIME_TOTAL] = "total",
    [VRT_TIME_SUBMIT] = "submit",       [VRT_TIME_DONE] = "done",
    [VRT_TIME_SECONDARY] = "secondary",
};

/* time_names as str objects, made once at import (PyDict_SetItemString would make and intern a new
 * str for every key of every frame). */
static PyObject *time_keys[VRT_TIME_COUNT];

/* Copies everything out of a library result (valid only until the slot's next submission). */
static PyObject *result_from(const vrt_result *r) {
    ResultObject *o = PyObject_New(ResultObject, &ResultType);
    if (!o) return NULL;
    o->kind = PyUnicode_FromString(vrt_result_type_name(vrt_result_kind(r)));
    o->task = PyUnicode_FromString(vrt_task_name(vrt_result_task(r)));
    o->classes =
        class_list(r, 0, vrt_result_kind(r) == VRT_RESULT_CLASSES ? vrt_result_count(r) : 0, get_class);
    o->detections = detection_list(r);
    o->maps = map_dict(r);
    o->keypoints = keypoint_array(r);
    o->times = NULL;
    o->sequence = (long long)vrt_result_sequence(r);
    o->timestamp_ns = vrt_result_timestamp_ns(r);
    o->slot = vrt_result_slot(r);
    o->candidates = vrt_result_candidates(r);
    o->has_depth = vrt_result_depth_stats(r, &o->depth_min, &o->depth_max, &o->depth_mean) == VRT_OK;
    o->stream = -1;
    o->frame_number = -1;
    o->index = -1;
    for (int i = 0; i < VRT_TIME_COUNT; i++)
        o->time_ns[i] = vrt_result_time_ns(r, (vrt_result_time)i);
    if (!o->kind || !o->task || !o->classes || !o->detections || !o->maps || !o->keypoints) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

/* The stage times as a dict, made when first asked for (most loops never read them). */
static PyObject *result_times(ResultObject *r, void *unused) {
    if (!r->times) {
        PyObject *d = PyDict_New();
        for (int i = 0; d && i < VRT_TIME_COUNT; i++) {
            if (!time_keys[i]) continue;
            PyObject *v = PyLong_FromLongLong(r->time_ns[i]);
            if (!v || PyDict_SetItem(d, time_keys[i], v) < 0) Py_CLEAR(d);
            Py_XDECREF(v);
        }
        r->times = d;
    }
    return Py_XNewRef(r->times);
}

/* boxes (N x 4 float32, x1 y1 x2 y2 in frame pixels), scores (N), class_ids (N int32). */
static PyObject *result_boxes(ResultObject *r, void *which) {
    Py_ssize_t n = PyList_GET_SIZE(r->detections);
    int w = (int)(intptr_t)which;
    void *data;
    const Py_ssize_t shape[2] = {n, 4};
    PyObject *arr = new_array(w == 0 ? 2 : 1, shape, w == 2 ? 'i' : 'f', &data);
    for (Py_ssize_t i = 0; arr && i < n; i++) {
        PyObject *d = PyList_GET_ITEM(r->detections, i);
        if (w == 0)
            for (int j = 0; j < 4; j++)
                ((float *)data)[i * 4 + j] = (float)PyFloat_AsDouble(PyTuple_GET_ITEM(d, j));
        else if (w == 1)
            ((float *)data)[i] = (float)PyFloat_AsDouble(PyTuple_GET_ITEM(d, 4));
        else
            ((int32_t *)data)[i] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(d, 5));
    }
    return arr;
}

/* A map by name (depth, depth_raw, depth_color, classes, instances), None when the result has none. */
static PyObject *result_map(ResultObject *r, void *name) {
    PyObject *a = PyDict_GetItemString(r->maps, (const char *)name);
    return Py_NewRef(a ? a : Py_None);
}

static PyObject *result_depth_stats(ResultObject *r, void *unused) {
    if (!r->has_depth) Py_RETURN_NONE;
    return Py_BuildValue("(fff)", r->depth_min, r->depth_max, r->depth_mean);
}

/* segment-yolov8: bool (N, H, W), mask i = the pixels of the instance map that are detection i's. */
static PyObject *result_masks(ResultObject *r, void *unused) {
    PyObject *inst = PyDict_GetItemString(r->maps, "instances");
    if (!inst) Py_RETURN_NONE;
    Py_buffer v;
    if (PyObject_GetBuffer(inst, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) return NULL;
    const Py_ssize_t n = PyList_GET_SIZE(r->detections), plane = v.shape[0] * v.shape[1];
    const Py_ssize_t shape[3] = {n, v.shape[0], v.shape[1]};
    void *data;
    PyObject *arr = new_array(3, shape, '?', &data);
    const uint8_t *m = v.buf;
    for (Py_ssize_t p = 0; arr && p < plane; p++)
        if (m[p] && m[p] <= n) ((uint8_t *)data)[(m[p] - 1) * plane + p] = 1;
    PyBuffer_Release(&v);
    return arr;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* depth_median(box) -> (raw, normalised) or None: vrt_result_depth_median's rule over the copied raw
 * map (pixels whose centre lies in [x1, x2) x [y1, y2), NaN left out, an even count averages the two
 * middle values), so it works after the library's result storage moved on. */
static PyObject *result_depth_median(ResultObject *r, PyObject *box) {
    PyObject *raw = PyDict_GetItemString(r->maps, "depth_raw");
    float b[4];
    PyObject *seq = PySequence_Fast(box, "depth_median(box): a Detection or (x1, y1, x2, y2)");
    if (!seq) return NULL;
    int bad = PySequence_Fast_GET_SIZE(seq) < 4;
    for (int j = 0; !bad && j < 4; j++)
        b[j] = (float)PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, j));
    Py_DECREF(seq);
    if (bad) PyErr_SetString(PyExc_ValueError, "depth_median(box): a Detection or (x1, y1, x2, y2)");
    if (bad || PyErr_Occurred()) return NULL;
    if (!raw || !r->has_depth) {
        PyErr_SetString(PyExc_ValueError, "depth_median: this result has no depth map (task depth)");
        return NULL;
    }
    Py_buffer v;
    if (PyObject_GetBuffer(raw, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) return NULL;
    const int h = (int)v.shape[0], w = (int)v.shape[1], lim[4] = {w, h, w, h};
    int px[4];
    for (int j = 0; j < 4; j++) { /* pixel x's centre x + 0.5 inside [x1, x2) */
        float f = ceilf(b[j] - 0.5f), lo = j < 2 ? 0.0f : (float)px[j - 2];
        px[j] = f < lo ? (int)lo : f > (float)lim[j] ? lim[j] : (int)f;
    }
    float *vals = PyMem_Malloc(sizeof(float) * (size_t)((px[2] - px[0]) * (px[3] - px[1]) + 1));
    if (!vals) {
        PyBuffer_Release(&v);
        return PyErr_NoMemory();
    }
    size_t n = 0;
    for (int y = px[1]; y < px[3]; y++)
        for (int x = px[0]; x < px[2]; x++) {
            float d = ((const float *)v.buf)[(size_t)y * (size_t)w + (size_t)x];
            if (!isnan(d)) vals[n++] = d;
        }
    PyBuffer_Release(&v);
    PyObject *ret = Py_None;
    if (n) {
        qsort(vals, n, sizeof(float), cmp_float);
        float med = vals[(n - 1) / 2];
        if (n % 2 == 0) med = (float)(((double)med + (double)vals[n / 2]) / 2.0);
        float norm =
            r->depth_max > r->depth_min ? (med - r->depth_min) / (r->depth_max - r->depth_min) : 0.0f;
        ret = Py_BuildValue("(ff)", med, norm);
    } else {
        Py_INCREF(ret);
    }
    PyMem_Free(vals);
    return ret;
}

static PyObject *result_repr(ResultObject *r) {
    if (PyList_GET_SIZE(r->classes))
        return PyUnicode_FromFormat("<visionrt.Result %U: %R>", r->kind, PyList_GET_ITEM(r->classes, 0));
    if (PyList_GET_SIZE(r->detections) || !PyDict_GET_SIZE(r->maps))
        return PyUnicode_FromFormat("<visionrt.Result %U (%U): %zd detections>", r->kind, r->task,
                                    PyList_GET_SIZE(r->detections));
    PyObject *keys = PyDict_Keys(r->maps);
    PyObject *s =
        keys ? PyUnicode_FromFormat("<visionrt.Result %U (%U): maps %R>", r->kind, r->task, keys) : NULL;
    Py_XDECREF(keys);
    return s;
}

static PyMemberDef result_members[] = {
    {"kind", T_OBJECT_EX, offsetof(ResultObject, kind), READONLY,
     "classes | detections | dense | keypoints | none"},
    {"task", T_OBJECT_EX, offsetof(ResultObject, task), READONLY, "the profile's task head"},
    {"classes", T_OBJECT_EX, offsetof(ResultObject, classes), READONLY, "list of Class, best first"},
    {"detections", T_OBJECT_EX, offsetof(ResultObject, detections), READONLY, "list of Detection"},
    {"maps", T_OBJECT_EX, offsetof(ResultObject, maps), READONLY,
     "dict: map name -> numpy array in the frame's geometry (depth, depth_raw, depth_color, classes, "
     "instances)"},
    {"keypoints", T_OBJECT_EX, offsetof(ResultObject, keypoints), READONLY,
     "pose: numpy float32 (N, K, 3): x, y in frame pixels, score; None for another task"},
    {"sequence", T_LONGLONG, offsetof(ResultObject, sequence), READONLY, "the frame's sequence number"},
    {"timestamp_ns", T_LONGLONG, offsetof(ResultObject, timestamp_ns), READONLY, "the frame's time (ns)"},
    {"slot", T_INT, offsetof(ResultObject, slot), READONLY, "session slot"},
    {"candidates", T_INT, offsetof(ResultObject, candidates), READONLY, "detections before NMS"},
    {"stream", T_INT, offsetof(ResultObject, stream), READONLY, "pipeline: the source's index, else -1"},
    {"frame_number", T_LONGLONG, offsetof(ResultObject, frame_number), READONLY,
     "pipeline: number read from a synthetic frame's pixels, else -1"},
    {"index", T_LONGLONG, offsetof(ResultObject, index), READONLY, "pipeline: results of the stream before"},
    {NULL}};

static PyGetSetDef result_getset[] = {
    {"times", (getter)result_times, NULL, "stage -> ns (vrt/result.h)", NULL},
    {"boxes", (getter)result_boxes, NULL, "numpy float32 (N, 4): x1, y1, x2, y2 in frame pixels", (void *)0},
    {"scores", (getter)result_boxes, NULL, "numpy float32 (N,)", (void *)1},
    {"class_ids", (getter)result_boxes, NULL, "numpy int32 (N,)", (void *)2},
    {"depth", (getter)result_map, NULL, "depth: float32 (H, W) 0..1, 1 = nearest; NaN where cropped away",
     (void *)"depth"},
    {"depth_raw", (getter)result_map, NULL, "depth: float32 (H, W), the network's relative inverse depth",
     (void *)"depth_raw"},
    {"depth_color", (getter)result_map, NULL, "depth: uint8 (H, W, 3) RGB through the profile's colormap",
     (void *)"depth_color"},
    {"class_map", (getter)result_map, NULL, "segment-argmax: uint8 (H, W) class per pixel",
     (void *)"classes"},
    {"instance_map", (getter)result_map, NULL, "segment-yolov8: uint8 (H, W): 0 none, i + 1 detection i",
     (void *)"instances"},
    {"masks", (getter)result_masks, NULL, "segment-yolov8: bool (N, H, W), one mask per detection", NULL},
    {"depth_stats", (getter)result_depth_stats, NULL, "depth: (min, max, mean) of the raw map, else None",
     NULL},
    {NULL}};

static PyMethodDef result_methods[] = {
    {"depth_median", (PyCFunction)result_depth_median, METH_O,
     "depth_median(box) -> (raw, normalised) median depth inside a box (frame pixels, e.g. another model's "
     "Detection), None when no valid pixel is inside"},
    {NULL}};

static PyTypeObject ResultType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt.Result",
    .tp_basicsize = sizeof(ResultObject),
    .tp_dealloc = (destructor)result_dealloc,
    .tp_repr = (reprfunc)result_repr,
    .tp_members = result_members,
    .tp_getset = result_getset,
    .tp_methods = result_methods,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One frame's result, copied out of the library (vrt/result.h).",
};

/* ---- frames in: a caller's buffer as a vrt_frame descriptor ---------------------------------------- */

/* Lays out f over the caller's buffer v; ValueError when its size is not the session's frame size. */
static int frame_over_buffer(const vrt_session_info *info, Py_buffer *v, vrt_frame *f) {
    size_t need = vrt_frame_size_for(info->fourcc, info->width, info->height);
    char name[8];
    if ((size_t)v->len != need) {
        PyErr_Format(PyExc_ValueError,
                     "the frame has %zd bytes; this session takes %ux%u %s frames of %zu bytes (numpy: shape "
                     "(%u, %u, 3) uint8 for RGB24/BGR24, (%u, %u, 2) for YUYV)",
                     v->len, info->width, info->height, vrt_fourcc_name(info->fourcc, name), need,
                     info->height, info->width, info->height, info->width);
        return -1;
    }
    if (v->ndim >= 2 && v->shape &&
        ((uint32_t)v->shape[0] != info->height || (uint32_t)v->shape[1] != info->width)) {
        PyErr_Format(PyExc_ValueError, "the frame is %zd x %zd (height x width); this session takes %u x %u",
                     v->shape[0], v->shape[1], info->height, info->width);
        return -1;
    }
    memset(f, 0, sizeof *f);
    int st = vrt_frame_layout(f, info->fourcc, info->width, info->height, (uint8_t *)v->buf);
    if (st) {
        raise_status(st, "vrt_frame_layout");
        return -1;
    }
    f->bytesused = (size_t)v->len;
    f->timestamp_ns = vrt_now_ns();
    f->buffer_index = -1;
    return 0;
}

/* ---- Session ------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD vrt_session_t *s;
    vrt_session_info info;
    int busy[VRT_SESSION_MAX_SLOTS];
    int in_call; /* a call with the GIL released is using s (close() must wait for it) */
    int device;  /* CUDA device ordinal */
    /* The library's latest result handed out (device_map exports its maps) and the submissions made,
     * so an export can tell that a later frame has overwritten what it points at. */
    const vrt_result *last;
    unsigned long long submits, last_submit;
} SessionObject;

static int session_ok(SessionObject *o) {
    if (o->s) return 1;
    PyErr_SetString(PyExc_RuntimeError, "the session is closed");
    return 0;
}

/* Session's cascade options into cp (vrt_cascade_params); classes: a sequence of detector class ids. */
static int cascade_from(vrt_cascade_params *cp, PyObject *classes, int ids[VRT_CASCADE_MAX]) {
    if (!classes || classes == Py_None) return 0;
    PyObject *seq = PySequence_Fast(classes, "cascade_classes: a list of detector class ids");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > VRT_CASCADE_MAX) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "cascade_classes: %zd ids; at most %d", n, VRT_CASCADE_MAX);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        ids[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return -1;
    cp->classes = ids;
    cp->num_classes = (int)n;
    return 0;
}

static int session_init(SessionObject *o, PyObject *args, PyObject *kw) {
    static char *kws[] = {"model",
                          "profile",
                          "backend",
                          "width",
                          "height",
                          "format",
                          "slots",
                          "threads",
                          "cascade_model",
                          "cascade_profile",
                          "cascade_max_batch",
                          "cascade_topk",
                          "cascade_min_size",
                          "cascade_classes",
                          "device",
                          NULL};
    const char *model, *profile = NULL, *backend = "auto", *format = "RGB24", *c_model = NULL,
                       *c_profile = NULL;
    unsigned int width = 640, height = 480;
    int slots = 2, threads = 0, device = 0, ids[VRT_CASCADE_MAX];
    PyObject *c_classes = NULL;
    vrt_cascade_params cp; /* detector -> classifier on the crops (vrt/session.h) */
    vrt_cascade_default_params(&cp);
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zsIIsiizziifOi", kws, &model, &profile, &backend, &width,
                                     &height, &format, &slots, &threads, &c_model, &c_profile, &cp.max_batch,
                                     &cp.topk, &cp.min_size, &c_classes, &device))
        return -1;
    if (o->s) vrt_session_destroy(&o->s);
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = !strcmp(backend, "auto") ? (vrt_engine_backend_available("cuda") ? "cuda" : "cpu") : backend;
    p.fourcc = vrt_fourcc_parse(format);
    p.width = width;
    p.height = height;
    p.slots = slots;
    p.threads = threads;
    p.device = device;
    if (c_profile) {
        cp.model = c_model;
        cp.profile_path = c_profile;
        if (cascade_from(&cp, c_classes, ids) < 0) return -1;
        p.cascade = &cp;
    }
    if (!p.fourcc) {
        PyErr_Format(PyExc_ValueError,
                     "format '%s': not a pixel format (RGB24, BGR24, YUYV, UYVY, NV12, GREY)", format);
        return -1;
    }
    char err[1024] = "";
    int st;
    Py_BEGIN_ALLOW_THREADS st = vrt_session_open(model, profile, NULL, &p, &o->s, err, sizeof err);
    Py_END_ALLOW_THREADS if (st) {
        raise_status(st, err);
        return -1;
    }
    vrt_session_get_info(o->s, &o->info);
    memset(o->busy, 0, sizeof o->busy);
    o->device = device;
    o->last = NULL;
    return 0;
}

static void session_dealloc(SessionObject *o) {
    if (o->s) {
        Py_BEGIN_ALLOW_THREADS vrt_session_destroy(&o->s);
        Py_END_ALLOW_THREADS
    }
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyObject *session_close(SessionObject *o, PyObject *unused) {
    if (o->s && !o->in_call) {
        Py_BEGIN_ALLOW_THREADS vrt_session_destroy(&o->s);
        Py_END_ALLOW_THREADS
    }
    Py_RETURN_NONE;
}

/* The Result of r; r is remembered for device_map (valid while no later submission was made). */
static PyObject *session_result(SessionObject *o, const vrt_result *r) {
    o->last = r;
    o->last_submit = o->submits;
    return result_from(r);
}

static PyObject *session_run(SessionObject *o, PyObject *frame) {
    if (!session_ok(o)) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(frame, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) return NULL;
    vrt_frame f;
    if (frame_over_buffer(&o->info, &v, &f) < 0) {
        PyBuffer_Release(&v);
        return NULL;
    }
    const vrt_result *r = NULL;
    int st;
    o->in_call = 1;
    o->submits++;
    Py_BEGIN_ALLOW_THREADS st = vrt_session_run(o->s, &f, &r);
    Py_END_ALLOW_THREADS o->in_call = 0;
    PyBuffer_Release(&v);
    if (st) return raise_status(st, vrt_session_last_error(o->s));
    return session_result(o, r);
}

static PyObject *session_submit(SessionObject *o, PyObject *frame) {
    if (!session_ok(o)) return NULL;
    int slot = -1;
    for (int i = 0; i < o->info.slots && slot < 0; i++)
        if (!o->busy[i]) slot = i;
    if (slot < 0) {
        PyErr_Format(PyExc_RuntimeError, "all %d slots hold a submission: wait() or poll() one first",
                     o->info.slots);
        return NULL;
    }
    Py_buffer v;
    if (PyObject_GetBuffer(frame, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) return NULL;
    vrt_frame f;
    int bad = frame_over_buffer(&o->info, &v, &f);
    vrt_frame slot_f;
    int st = bad ? 0 : vrt_session_slot_frame(o->s, slot, &slot_f);
    if (!bad && !st) {
        memcpy(slot_f.planes[0].data, v.buf, (size_t)v.len); /* the slot buffer is one packed frame */
        slot_f.timestamp_ns = f.timestamp_ns;
        st = vrt_session_submit(o->s, slot, &slot_f);
        o->submits++;
    }
    PyBuffer_Release(&v);
    if (bad) return NULL;
    if (st) return raise_status(st, vrt_session_last_error(o->s));
    o->busy[slot] = 1;
    return PyLong_FromLong(slot);
}

static int slot_arg(SessionObject *o, PyObject *arg, int *slot) {
    if (!session_ok(o)) return -1;
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 0 || v >= o->info.slots || !o->busy[v]) {
        PyErr_Format(PyExc_ValueError, "slot %ld holds no submission (submit() returns the slot)", v);
        return -1;
    }
    *slot = (int)v;
    return 0;
}

static PyObject *session_poll(SessionObject *o, PyObject *arg) {
    int slot;
    if (slot_arg(o, arg, &slot) < 0) return NULL;
    const vrt_result *r = NULL;
    int st = vrt_session_poll(o->s, slot, &r);
    if (st == VRT_EAGAIN) Py_RETURN_NONE;
    o->busy[slot] = 0;
    if (st) return raise_status(st, vrt_session_last_error(o->s));
    return session_result(o, r);
}

static PyObject *session_wait(SessionObject *o, PyObject *arg) {
    int slot;
    if (slot_arg(o, arg, &slot) < 0) return NULL;
    const vrt_result *r = NULL;
    int st;
    o->in_call = 1;
    Py_BEGIN_ALLOW_THREADS st = vrt_session_wait(o->s, slot, &r);
    Py_END_ALLOW_THREADS o->in_call = 0;
    o->busy[slot] = 0;
    if (st) return raise_status(st, vrt_session_last_error(o->s));
    return session_result(o, r);
}

static PyObject *session_get_info(SessionObject *o, void *unused) {
    if (!session_ok(o)) return NULL;
    char name[8];
    const vrt_session_info *i = &o->info;
    return Py_BuildValue("{s:s,s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:i,s:n,s:i}", "backend", i->backend, "task",
                         vrt_task_name(i->task), "kind", vrt_result_type_name(i->kind), "slots", i->slots,
                         "format", vrt_fourcc_name(i->fourcc, name), "width", i->width, "height", i->height,
                         "input_width", i->input_w, "input_height", i->input_h, "num_classes", i->num_classes,
                         "frame_bytes", (Py_ssize_t)i->frame_bytes, "graphs", i->graphs);
}

static PyObject *self_enter(PyObject *o, PyObject *unused) {
    Py_INCREF(o);
    return o;
}

static PyObject *session_exit(SessionObject *o, PyObject *args) {
    return session_close(o, NULL);
}

static PyObject *session_device_map(SessionObject *o, PyObject *args);

static PyMethodDef session_methods[] = {
    {"device_map", (PyCFunction)session_device_map, METH_VARARGS,
     "device_map(name='depth') -> DeviceMap: the latest result's map where the backend holds it (DLPack)"},
    {"run", (PyCFunction)session_run, METH_O, "run(frame) -> Result: the whole frame path, synchronously"},
    {"submit", (PyCFunction)session_submit, METH_O,
     "submit(frame) -> slot: copies the frame into a free slot"},
    {"poll", (PyCFunction)session_poll, METH_O, "poll(slot) -> Result or None (not done yet)"},
    {"wait", (PyCFunction)session_wait, METH_O, "wait(slot) -> Result (blocks, GIL released)"},
    {"close", (PyCFunction)session_close, METH_NOARGS, "frees the session (also on garbage collection)"},
    {"__enter__", self_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)session_exit, METH_VARARGS, NULL},
    {NULL}};

static PyGetSetDef session_getset[] = {
    {"info", (getter)session_get_info, NULL, "what the session was opened with"}, {NULL}};

static PyTypeObject SessionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt._core.Session",
    .tp_basicsize = sizeof(SessionObject),
    .tp_dealloc = (destructor)session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = session_methods,
    .tp_getset = session_getset,
    .tp_init = (initproc)session_init,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Session(model, profile, backend, width, height, format, slots, threads): vrt/session.h",
};

/* ---- DeviceMap: a result map where the backend holds it, exported through DLPack ------------------ */

/* DLPack (github.com/dmlc/dlpack, dlpack.h v0.8, the legacy unversioned capsule "dltensor" that
 * torch.from_dlpack, numpy.from_dlpack and cupy read): the ABI structs, written out to need no header. */
typedef struct {
    int32_t device_type; /* kDLCPU 1, kDLCUDA 2 */
    int32_t device_id;
} DLDevice;
typedef struct {
    uint8_t code; /* kDLUInt 1, kDLFloat 2 */
    uint8_t bits;
    uint16_t lanes;
} DLDataType;
typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides; /* in items */
    uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
    DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;

typedef struct {
    PyObject_HEAD SessionObject *session; /* keeps the session object (not its frames) alive */
    const void *data;
    int on_device, ndim;
    DLDataType dtype;
    int64_t shape[3], strides[3];
    unsigned long long submit; /* the session's submissions when made: a later one overwrites the map */
} DeviceMapObject;

typedef struct {
    DLManagedTensor m;
    int64_t shape[3], strides[3];
} Export;

static void device_map_dealloc(DeviceMapObject *o) {
    Py_XDECREF(o->session);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

/* The consumer's deleter, on any thread (torch frees tensors without the GIL). */
static void export_deleter(DLManagedTensor *m) {
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF((PyObject *)m->manager_ctx);
    PyGILState_Release(g);
    free(m);
}

/* A capsule nobody consumed (still named "dltensor") frees its tensor. */
static void capsule_destructor(PyObject *cap) {
    if (!PyCapsule_IsValid(cap, "dltensor")) return;
    DLManagedTensor *m = PyCapsule_GetPointer(cap, "dltensor");
    if (m && m->deleter) m->deleter(m);
}

static int device_map_fresh(DeviceMapObject *o) {
    if (!o->session->s || o->session->submits != o->submit) {
        PyErr_SetString(PyExc_BufferError,
                        "this map was overwritten: the session ran another frame (or was closed) since "
                        "device_map(); take the map right after run() and copy what you keep");
        return 0;
    }
    return 1;
}

/* __dlpack__(stream=None, max_version=None, dl_device=None, copy=None): the result is complete (the
 * session waited for its event), so no stream has anything to wait for. */
static PyObject *device_map_dlpack(DeviceMapObject *o, PyObject *args, PyObject *kw) {
    static char *kws[] = {"stream", "max_version", "dl_device", "copy", NULL};
    PyObject *stream = NULL, *max_version = NULL, *dl_device = NULL, *copy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOO", kws, &stream, &max_version, &dl_device, &copy))
        return NULL;
    if (copy && PyObject_IsTrue(copy) == 1) {
        PyErr_SetString(PyExc_BufferError, "device_map exports without a copy (copy=True is not supported)");
        return NULL;
    }
    if (!device_map_fresh(o)) return NULL;
    Export *e = calloc(1, sizeof *e);
    if (!e) return PyErr_NoMemory();
    memcpy(e->shape, o->shape, sizeof e->shape);
    memcpy(e->strides, o->strides, sizeof e->strides);
    e->m.dl_tensor = (DLTensor){(void *)o->data,
                                {o->on_device ? 2 : 1, o->on_device ? o->session->device : 0},
                                o->ndim,
                                o->dtype,
                                e->shape,
                                e->strides,
                                0};
    e->m.manager_ctx = Py_NewRef(o);
    e->m.deleter = export_deleter;
    PyObject *cap = PyCapsule_New(&e->m, "dltensor", capsule_destructor);
    if (!cap) {
        Py_DECREF(o);
        free(e);
    }
    return cap;
}

static PyObject *device_map_device(DeviceMapObject *o, PyObject *unused) {
    return Py_BuildValue("(ii)", o->on_device ? 2 : 1, o->on_device ? o->session->device : 0);
}

static PyObject *device_map_get(DeviceMapObject *o, void *which) {
    switch ((int)(intptr_t)which) {
    case 0:
        return o->ndim == 3 ? Py_BuildValue("(LLL)", o->shape[0], o->shape[1], o->shape[2])
                            : Py_BuildValue("(LL)", o->shape[0], o->shape[1]);
    case 1: return PyUnicode_FromString(o->dtype.code == 2 ? "float32" : "uint8");
    case 2: return PyUnicode_FromString(o->on_device ? "cuda" : "cpu");
    default: return PyLong_FromVoidPtr((void *)o->data);
    }
}

static PyMethodDef device_map_methods[] = {
    {"__dlpack__", (PyCFunction)(void (*)(void))device_map_dlpack, METH_VARARGS | METH_KEYWORDS,
     "DLPack capsule over the map (no copy)"},
    {"__dlpack_device__", (PyCFunction)device_map_device, METH_NOARGS, "(device type, ordinal): (2, n) CUDA"},
    {NULL}};

static PyGetSetDef device_map_getset[] = {
    {"shape", (getter)device_map_get, NULL, "(H, W) or (H, W, 3)", (void *)0},
    {"dtype", (getter)device_map_get, NULL, "float32 or uint8", (void *)1},
    {"device", (getter)device_map_get, NULL, "cuda (device memory) or cpu (the CPU backend's result)",
     (void *)2},
    {"data_ptr", (getter)device_map_get, NULL, "address of the first pixel", (void *)3},
    {NULL}};

static PyTypeObject DeviceMapType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt.DeviceMap",
    .tp_basicsize = sizeof(DeviceMapObject),
    .tp_dealloc = (destructor)device_map_dealloc,
    .tp_methods = device_map_methods,
    .tp_getset = device_map_getset,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A map of the session's latest result where the backend holds it (CUDA: device memory), for "
              "torch.from_dlpack / cupy / numpy.from_dlpack without a copy; valid until the session's next "
              "frame.",
};

/* Session.device_map(name="depth"): the latest result's map, through vrt_session_result_map. */
static PyObject *session_device_map(SessionObject *o, PyObject *args) {
    const char *name = "depth";
    if (!PyArg_ParseTuple(args, "|s", &name) || !session_ok(o)) return NULL;
    int id = -1;
    for (size_t i = 0; i < sizeof map_ids / sizeof map_ids[0]; i++)
        if (!strcmp(name, vrt_map_name(map_ids[i]))) id = (int)map_ids[i];
    if (id < 0) {
        PyErr_Format(PyExc_ValueError,
                     "device_map('%s'): depth, depth_raw, depth_color, classes or instances", name);
        return NULL;
    }
    int dev = 0, w = 0, h = 0;
    size_t stride = 0;
    vrt_map_type type = VRT_MAP_U8;
    const void *p = o->last && o->last_submit == o->submits
                        ? vrt_session_result_map(o->s, o->last, (vrt_map_id)id, &dev, &w, &h, &stride, &type)
                        : NULL;
    if (!p) {
        PyErr_Format(
            PyExc_ValueError,
            "device_map('%s'): the session's latest result has no such map (task %s), or a frame was "
            "submitted after it; call it right after run() or wait()",
            name, vrt_task_name(o->info.task));
        return NULL;
    }
    DeviceMapObject *m = PyObject_New(DeviceMapObject, &DeviceMapType);
    if (!m) return NULL;
    m->session = (SessionObject *)Py_NewRef(o);
    m->data = p;
    m->on_device = dev;
    m->submit = o->submits;
    m->ndim = type == VRT_MAP_RGB8 ? 3 : 2;
    m->dtype = (DLDataType){type == VRT_MAP_F32 ? 2 : 1, type == VRT_MAP_F32 ? 32 : 8, 1};
    const int64_t item = type == VRT_MAP_F32 ? 4 : 1, ch = type == VRT_MAP_RGB8 ? 3 : 1;
    m->shape[0] = h;
    m->shape[1] = w;
    m->shape[2] = 3;
    m->strides[0] = (int64_t)stride / item; /* rows may be padded: strides in items */
    m->strides[1] = ch;
    m->strides[2] = 1;
    return (PyObject *)m;
}

/* ---- Frame: one library frame reference, exported without a copy ------------------------------- */

typedef struct {
    PyObject_HEAD vrt_frame *f;
    Py_ssize_t shape[3], strides[3];
    int ndim;
} FrameObject;

static void frame_dealloc(FrameObject *o) {
    vrt_frame_unref(&o->f); /* re-queues a V4L2 buffer: the last array over it is gone */
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyObject *frame_wrap(vrt_frame *f) {
    FrameObject *o = PyObject_New(FrameObject, &FrameType);
    if (!o) {
        vrt_frame_unref(&f);
        return NULL;
    }
    o->f = f;
    uint32_t stride = f->planes[0].stride;
    switch (f->fourcc) {
    case VRT_FMT_RGB24:
    case VRT_FMT_BGR24:
    case VRT_FMT_YUYV:
    case VRT_FMT_UYVY:
        o->ndim = 3;
        o->shape[0] = f->height;
        o->shape[1] = f->width;
        o->shape[2] = (f->fourcc == VRT_FMT_YUYV || f->fourcc == VRT_FMT_UYVY) ? 2 : 3;
        o->strides[0] = stride;
        o->strides[1] = o->shape[2];
        o->strides[2] = 1;
        break;
    case VRT_FMT_GREY:
        o->ndim = 2;
        o->shape[0] = f->height;
        o->shape[1] = f->width;
        o->strides[0] = stride;
        o->strides[1] = 1;
        break;
    default: /* NV12 (Y then UV), MJPEG (the JPEG bytes): the frame's bytes as they are */
        o->ndim = 1;
        o->shape[0] = (Py_ssize_t)f->bytesused;
        o->strides[0] = 1;
        break;
    }
    return (PyObject *)o;
}

static int frame_getbuffer(FrameObject *o, Py_buffer *v, int flags) {
    if (!o->f) {
        PyErr_SetString(PyExc_ValueError, "the frame was released");
        return -1;
    }
    int contiguous = o->ndim == 1 || o->strides[0] == o->shape[1] * (o->ndim == 3 ? o->shape[2] : 1);
    if (!contiguous && !(flags & PyBUF_STRIDES)) {
        PyErr_SetString(PyExc_BufferError,
                        "the frame's rows are padded: ask for a strided buffer (numpy does)");
        return -1;
    }
    Py_ssize_t len = o->strides[0] * o->shape[0];
    if (o->ndim == 1) len = o->shape[0];
    if (PyBuffer_FillInfo(v, (PyObject *)o, o->f->planes[0].data, len, 0, flags) < 0) return -1;
    v->ndim = o->ndim;
    v->shape = (flags & PyBUF_ND) ? o->shape : NULL;
    v->strides = (flags & PyBUF_STRIDES) ? o->strides : NULL;
    return 0;
}

static PyObject *frame_get(FrameObject *o, void *which) {
    if (!o->f) {
        PyErr_SetString(PyExc_ValueError, "the frame was released");
        return NULL;
    }
    char name[8];
    switch ((int)(intptr_t)which) {
    case 0: return PyLong_FromUnsignedLong(o->f->width);
    case 1: return PyLong_FromUnsignedLong(o->f->height);
    case 2: return PyUnicode_FromString(vrt_fourcc_name(o->f->fourcc, name));
    case 3: return PyLong_FromUnsignedLongLong(o->f->sequence);
    case 4: return PyLong_FromLongLong(o->f->timestamp_ns);
    case 5: return PyLong_FromVoidPtr(o->f->planes[0].data);
    case 6: return PyLong_FromSize_t(o->f->bytesused);
    default: return to_numpy((PyObject *)o);
    }
}

static PyGetSetDef frame_getset[] = {
    {"width", (getter)frame_get, NULL, NULL, (void *)0},
    {"height", (getter)frame_get, NULL, NULL, (void *)1},
    {"format", (getter)frame_get, NULL, "pixel format name (RGB24, YUYV, ...)", (void *)2},
    {"sequence", (getter)frame_get, NULL, "the source's frame counter", (void *)3},
    {"timestamp_ns", (getter)frame_get, NULL, "CLOCK_MONOTONIC ns (exposure or capture)", (void *)4},
    {"address", (getter)frame_get, NULL, "address of the first pixel (the library's buffer)", (void *)5},
    {"nbytes", (getter)frame_get, NULL, "bytes of valid data", (void *)6},
    {"array", (getter)frame_get, NULL, "numpy view of the pixels (no copy)", (void *)7},
    {NULL}};

static PyBufferProcs frame_as_buffer = {(getbufferproc)frame_getbuffer, NULL};
static PyTypeObject FrameType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt.Frame",
    .tp_basicsize = sizeof(FrameObject),
    .tp_dealloc = (destructor)frame_dealloc,
    .tp_as_buffer = &frame_as_buffer,
    .tp_getset = frame_getset,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A frame from a Source: its pixels through the buffer protocol, without a copy; the library's "
              "buffer is released when the Frame and every array over it are gone.",
};

/* ---- Source ---------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD vrt_source_t *s;
    int in_call;
} SourceObject;

static int source_init(SourceObject *o, PyObject *args, PyObject *kw) {
    static char *kws[] = {"uri", "width", "height", "fps", "format", "loop", "frames", NULL};
    const char *uri, *format = NULL;
    unsigned int width = 0, height = 0;
    double fps = 0;
    int loop = 0;
    long long frames = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|IIdzpL", kws, &uri, &width, &height, &fps, &format, &loop,
                                     &frames))
        return -1;
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.width = width;
    p.height = height;
    p.fps = fps;
    p.loop = loop;
    p.max_frames = frames;
    if (format && !(p.fourcc = vrt_fourcc_parse(format))) {
        PyErr_Format(PyExc_ValueError,
                     "format '%s': not a pixel format (RGB24, BGR24, YUYV, UYVY, NV12, GREY)", format);
        return -1;
    }
    char err[1024] = "";
    int st;
    if (o->s) vrt_source_destroy(&o->s);
    Py_BEGIN_ALLOW_THREADS st = vrt_source_open(&o->s, uri, &p, err, sizeof err);
    if (!st) {
        st = vrt_source_start(o->s);
        if (st) snprintf(err, sizeof err, "%s", vrt_source_last_error(o->s));
    }
    Py_END_ALLOW_THREADS if (st) {
        vrt_source_destroy(&o->s);
        raise_status(st, err);
        return -1;
    }
    return 0;
}

static void source_dealloc(SourceObject *o) {
    if (o->s) {
        Py_BEGIN_ALLOW_THREADS vrt_source_destroy(&o->s);
        Py_END_ALLOW_THREADS
    }
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyObject *source_close(SourceObject *o, PyObject *unused) {
    if (o->s && !o->in_call) {
        Py_BEGIN_ALLOW_THREADS vrt_source_destroy(&o->s);
        Py_END_ALLOW_THREADS
    }
    Py_RETURN_NONE;
}

/* read(timeout_ms=1000) -> Frame, None (no frame within the timeout); StopIteration at the end. */
static PyObject *source_read(SourceObject *o, PyObject *args) {
    int timeout_ms = 1000;
    if (!PyArg_ParseTuple(args, "|i", &timeout_ms)) return NULL;
    if (!o->s) {
        PyErr_SetString(PyExc_RuntimeError, "the source is closed");
        return NULL;
    }
    vrt_frame *f = NULL;
    int st;
    o->in_call = 1;
    Py_BEGIN_ALLOW_THREADS st = vrt_source_read(o->s, &f, timeout_ms);
    Py_END_ALLOW_THREADS o->in_call = 0;
    if (st == VRT_EAGAIN) Py_RETURN_NONE;
    if (st == VRT_EOF) {
        PyErr_SetNone(PyExc_StopIteration);
        return NULL;
    }
    if (st) return raise_status(st, vrt_source_last_error(o->s));
    return frame_wrap(f);
}

/* Iteration: numpy arrays over the frames (no copy); waits (checking for Ctrl-C) for each. */
static PyObject *source_next(SourceObject *o) {
    PyObject *args = PyTuple_New(0);
    for (;;) {
        PyObject *fr = source_read(o, args);
        if (fr != Py_None) {
            Py_DECREF(args);
            if (!fr) return NULL;
            PyObject *arr = to_numpy(fr);
            Py_DECREF(fr);
            return arr;
        }
        Py_DECREF(fr);
        if (PyErr_CheckSignals() < 0) {
            Py_DECREF(args);
            return NULL;
        }
    }
}

static PyObject *source_get_info(SourceObject *o, void *unused) {
    if (!o->s) {
        PyErr_SetString(PyExc_RuntimeError, "the source is closed");
        return NULL;
    }
    vrt_source_info i;
    vrt_source_get_info(o->s, &i);
    vrt_source_stats s;
    vrt_source_get_stats(o->s, &s);
    char name[8];
    return Py_BuildValue("{s:s,s:s,s:s,s:I,s:I,s:d,s:L,s:K,s:K}", "kind", i.kind, "name", i.name, "format",
                         vrt_fourcc_name(i.fourcc, name), "width", i.width, "height", i.height, "fps", i.fps,
                         "frame_count", (long long)i.frame_count, "delivered",
                         (unsigned long long)s.delivered, "dropped", (unsigned long long)s.dropped);
}

static PyObject *source_exit(SourceObject *o, PyObject *args) {
    return source_close(o, NULL);
}

static PyMethodDef source_methods[] = {
    {"read", (PyCFunction)source_read, METH_VARARGS, "read(timeout_ms=1000) -> Frame or None"},
    {"close", (PyCFunction)source_close, METH_NOARGS, "stops and closes the source"},
    {"__enter__", self_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)source_exit, METH_VARARGS, NULL},
    {NULL}};

static PyGetSetDef source_getset[] = {{"info", (getter)source_get_info, NULL, "format, size, rate, counters"},
                                      {NULL}};

static PyTypeObject SourceType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt._core.Source",
    .tp_basicsize = sizeof(SourceObject),
    .tp_dealloc = (destructor)source_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = source_methods,
    .tp_getset = source_getset,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)source_next,
    .tp_init = (initproc)source_init,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Source(uri, width, height, fps, format, loop, frames): vrt/source.h; iterates numpy arrays",
};

/* ---- Pipeline ------------------------------------------------------------------------------------- */

#define PIPELINE_QUEUE 64

typedef struct {
    PyObject_HEAD vrt_pipeline_t *p;
    PyObject *on_result; /* callable or NULL */
    PyObject *queue;     /* list of Results waiting for iteration (at most PIPELINE_QUEUE) */
    unsigned long long queue_dropped;
    int started, stopped, finished;
} PipelineObject;

/* On a stream's processing thread: the result to Python (callback or the iteration queue). */
static void pipeline_on_result(void *user, const vrt_pipeline_result *r) {
    PipelineObject *o = user;
    PyGILState_STATE g = PyGILState_Ensure();
    ResultObject *res = (ResultObject *)result_from(r->result);
    if (res) {
        res->stream = r->stream;
        res->frame_number = r->frame_number;
        res->index = (long long)r->index;
        if (o->on_result) {
            PyObject *ret = PyObject_CallOneArg(o->on_result, (PyObject *)res);
            if (!ret) PyErr_WriteUnraisable(o->on_result);
            Py_XDECREF(ret);
        } else {
            if (PyList_GET_SIZE(o->queue) >= PIPELINE_QUEUE) { /* the reader is behind: drop the oldest */
                PySequence_DelItem(o->queue, 0);
                o->queue_dropped++;
            }
            PyList_Append(o->queue, (PyObject *)res);
        }
        Py_DECREF(res);
    } else {
        PyErr_WriteUnraisable(NULL);
    }
    PyGILState_Release(g);
}

static vrt_status add_source(vrt_pipeline_t *p, const char *uri, char *err, size_t cap) {
    return vrt_pipeline_add_source(p, uri, NULL, NULL, err, cap);
}

static vrt_status add_output(vrt_pipeline_t *p, const char *uri, char *err, size_t cap) {
    return vrt_sink_add(p, uri, NULL, err, cap);
}

/* add(p, uri) for every URI of the list (what: its name in the TypeError). */
static int add_each(PipelineObject *o, PyObject *uris, const char *what,
                    vrt_status (*add)(vrt_pipeline_t *, const char *, char *, size_t), char *err,
                    size_t cap) {
    PyObject *seq = PySequence_Fast(uris, what);
    if (!seq) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        const char *uri = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        int st = uri ? add(o->p, uri, err, cap) : -1;
        if (st) {
            Py_DECREF(seq);
            if (uri) raise_status(st, err);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int pipeline_init(PipelineObject *o, PyObject *args, PyObject *kw) {
    static char *kws[] = {"sources", "model",      "profile", "outputs", "on_result",
                          "backend", "max_frames", "policy",  "threads", NULL};
    PyObject *sources, *outputs = NULL, *on_result = Py_None;
    const char *model, *profile, *backend = "auto", *policy = "newest";
    long long max_frames = 0;
    int threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Oss|OOsLsi", kws, &sources, &model, &profile, &outputs,
                                     &on_result, &backend, &max_frames, &policy, &threads))
        return -1;
    if (on_result != Py_None && !PyCallable_Check(on_result)) {
        PyErr_SetString(PyExc_TypeError, "on_result must be callable or None");
        return -1;
    }
    vrt_pipeline_params p;
    vrt_pipeline_default_params(&p);
    p.model = model;
    p.profile = profile;
    p.backend = !strcmp(backend, "auto") ? (vrt_engine_backend_available("cuda") ? "cuda" : "cpu") : backend;
    p.max_frames = max_frames;
    p.threads = threads;
    if (!strcmp(policy, "all"))
        p.policy = VRT_POLICY_ALL;
    else if (strcmp(policy, "newest")) {
        PyErr_Format(PyExc_ValueError, "policy '%s': newest or all", policy);
        return -1;
    }
    p.on_result = pipeline_on_result;
    p.user = o;
    Py_XSETREF(o->on_result, on_result == Py_None ? NULL : Py_NewRef(on_result));
    Py_XSETREF(o->queue, PyList_New(0));
    if (!o->queue) return -1;
    char err[1024] = "";
    int st;
    Py_BEGIN_ALLOW_THREADS st = vrt_pipeline_create(&o->p, &p, err, sizeof err);
    Py_END_ALLOW_THREADS if (st) {
        raise_status(st, err);
        return -1;
    }
    if (add_each(o, sources, "sources: a list of URIs", add_source, err, sizeof err) < 0) return -1;
    if (outputs && outputs != Py_None &&
        add_each(o, outputs, "outputs: a list of sink URIs", add_output, err, sizeof err) < 0)
        return -1;
    return 0;
}

static PyObject *pipeline_start(PipelineObject *o, PyObject *unused) {
    if (!o->p) {
        PyErr_SetString(PyExc_RuntimeError, "the pipeline is closed");
        return NULL;
    }
    if (o->started) Py_RETURN_NONE;
    int st;
    Py_BEGIN_ALLOW_THREADS st = vrt_pipeline_start(o->p);
    Py_END_ALLOW_THREADS if (st) return raise_status(st, vrt_pipeline_last_error(o->p));
    o->started = 1;
    Py_RETURN_NONE;
}

/* Stops the streams (the GIL released: their threads may be waiting for it in on_result). */
static void do_stop(PipelineObject *o) {
    if (o->p && o->started && !o->stopped) {
        Py_BEGIN_ALLOW_THREADS vrt_pipeline_stop(o->p);
        Py_END_ALLOW_THREADS o->stopped = 1;
    }
}

static PyObject *pipeline_stop(PipelineObject *o, PyObject *unused) {
    do_stop(o);
    Py_RETURN_NONE;
}

/* Stops, lets the outputs write their summaries, frees the pipeline: 0, or the failure's status. */
static int do_close(PipelineObject *o, char *err, size_t cap) {
    do_stop(o);
    int st = 0;
    if (o->p) {
        Py_BEGIN_ALLOW_THREADS if (o->started && !o->finished) st =
            vrt_pipeline_finish(o->p, "close", err, cap);
        vrt_pipeline_destroy(&o->p);
        Py_END_ALLOW_THREADS o->finished = 1;
    }
    return st;
}

static PyObject *pipeline_close(PipelineObject *o, PyObject *unused) {
    char err[512] = "";
    int st = do_close(o, err, sizeof err);
    if (st) return raise_status(st, err);
    Py_RETURN_NONE;
}

static void pipeline_dealloc(PipelineObject *o) {
    char err[512] = "";
    do_close(o, err, sizeof err);
    Py_XDECREF(o->on_result);
    Py_XDECREF(o->queue);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

/* wait(timeout_ms) -> True when every stream has ended (frames, end of file, error). */
static PyObject *pipeline_wait(PipelineObject *o, PyObject *args) {
    int timeout_ms = 100;
    if (!PyArg_ParseTuple(args, "|i", &timeout_ms)) return NULL;
    if (!o->p || !o->started) {
        PyErr_SetString(PyExc_RuntimeError, "the pipeline is not running (start() it)");
        return NULL;
    }
    int st;
    Py_BEGIN_ALLOW_THREADS st = vrt_pipeline_wait(o->p, timeout_ms);
    Py_END_ALLOW_THREADS if (st == VRT_EAGAIN) Py_RETURN_FALSE;
    if (st && st != VRT_EOF) return raise_status(st, vrt_pipeline_last_error(o->p));
    Py_RETURN_TRUE;
}

/* Iteration: starts the pipeline, yields results as they come; Ctrl-C stops it and raises. */
static PyObject *pipeline_next(PipelineObject *o) {
    if (o->on_result) {
        PyErr_SetString(PyExc_TypeError, "this pipeline delivers to on_result; iterate one made without it");
        return NULL;
    }
    if (!o->started) {
        PyObject *r = pipeline_start(o, NULL);
        if (!r) return NULL;
        Py_DECREF(r);
    }
    for (;;) {
        if (PyList_GET_SIZE(o->queue)) {
            PyObject *r = Py_NewRef(PyList_GET_ITEM(o->queue, 0));
            PySequence_DelItem(o->queue, 0);
            return r;
        }
        if (o->stopped || !o->p) return NULL; /* StopIteration */
        int st;
        Py_BEGIN_ALLOW_THREADS st = vrt_pipeline_wait(o->p, 20);
        Py_END_ALLOW_THREADS if (PyErr_CheckSignals() < 0) {
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            do_stop(o);
            PyErr_Restore(t, v, tb);
            return NULL;
        }
        if (st != VRT_EAGAIN && !PyList_GET_SIZE(o->queue)) {
            do_stop(o);
            if (st && st != VRT_EOF) return raise_status(st, vrt_pipeline_last_error(o->p));
            return NULL;
        }
    }
}

static PyObject *pipeline_get_stats(PipelineObject *o, void *unused) {
    if (!o->p) {
        PyErr_SetString(PyExc_RuntimeError, "the pipeline is closed");
        return NULL;
    }
    int n = vrt_pipeline_num_streams(o->p);
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        static vrt_pipeline_stats s; /* large; only read under the GIL */
        vrt_pipeline_get_stats(o->p, i, &s);
        PyObject *d =
            Py_BuildValue("{s:s,s:s,s:K,s:K,s:K,s:K,s:d}", "uri", s.uri, "state", s.state ? s.state : "",
                          "results", (unsigned long long)s.results, "captured",
                          (unsigned long long)s.captured, "dropped", (unsigned long long)s.dropped,
                          "deadline_misses", (unsigned long long)s.deadline_misses, "fps", s.fps);
        if (!d)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, d);
    }
    return list;
}

static PyObject *pipeline_exit(PipelineObject *o, PyObject *args) {
    return pipeline_close(o, NULL);
}

static PyMethodDef pipeline_methods[] = {
    {"start", (PyCFunction)pipeline_start, METH_NOARGS, "starts every stream (iteration does it too)"},
    {"stop", (PyCFunction)pipeline_stop, METH_NOARGS, "stops every stream; idempotent"},
    {"wait", (PyCFunction)pipeline_wait, METH_VARARGS, "wait(timeout_ms=100) -> True when all streams ended"},
    {"close", (PyCFunction)pipeline_close, METH_NOARGS, "stops, finishes the outputs, frees everything"},
    {"__enter__", self_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)pipeline_exit, METH_VARARGS, NULL},
    {NULL}};

static PyGetSetDef pipeline_getset[] = {{"stats", (getter)pipeline_get_stats, NULL, "per stream counters"},
                                        {NULL}};

static PyMemberDef pipeline_members[] = {{"queue_dropped", T_ULONGLONG,
                                          offsetof(PipelineObject, queue_dropped), READONLY,
                                          "results dropped because the iterating loop fell behind"},
                                         {NULL}};

static PyTypeObject PipelineType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt._core.Pipeline",
    .tp_basicsize = sizeof(PipelineObject),
    .tp_dealloc = (destructor)pipeline_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = pipeline_methods,
    .tp_getset = pipeline_getset,
    .tp_members = pipeline_members,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)pipeline_next,
    .tp_init = (initproc)pipeline_init,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Pipeline(sources, model, profile, outputs, on_result, backend, max_frames, policy, threads)",
};

/* ---- module -------------------------------------------------------------------------------------- */

static PyStructSequence_Field class_fields[] = {{"index", "class index"},
                                                {"score", "probability or raw score"},
                                                {"label", "from the profile's labels file, or None"},
                                                {NULL}};
static PyStructSequence_Desc class_desc = {"visionrt.Class", "one top-k entry", class_fields, 3};
static PyStructSequence_Field det_fields[] = {
    {"x1", NULL},    {"y1", NULL},
    {"x2", NULL},    {"y2", NULL},
    {"score", NULL}, {"class_id", NULL},
    {"label", NULL}, {"secondary", "a cascade's classes for this box (list of Class)"},
    {NULL}};
static PyStructSequence_Desc det_desc = {"visionrt.Detection", "one box in frame pixels", det_fields, 8};

static PyObject *mod_version(PyObject *m, PyObject *unused) {
    return PyUnicode_FromString(vrt_version());
}

static PyObject *mod_build_info(PyObject *m, PyObject *unused) {
    return PyUnicode_FromString(vrt_build_info());
}

static PyObject *mod_backend_available(PyObject *m, PyObject *name) {
    const char *s = PyUnicode_AsUTF8(name);
    if (!s) return NULL;
    return PyBool_FromLong(vrt_engine_backend_available(s));
}

static PyMethodDef module_methods[] = {
    {"version", mod_version, METH_NOARGS, "the library's version"},
    {"build_info", mod_build_info, METH_NOARGS, "how the library was built"},
    {"backend_available", mod_backend_available, METH_O, "backend_available('cuda') -> bool"},
    {NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "visionrt._core", "visionrt over libvrt's C API",
                                    -1, module_methods};

static int add_type(PyObject *m, PyTypeObject *t, const char *name) {
    if (PyType_Ready(t) < 0) return -1;
    return PyModule_AddObjectRef(m, name, (PyObject *)t);
}

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    for (int i = 0; i < VRT_TIME_COUNT; i++)
        if (time_names[i] && !time_keys[i] && !(time_keys[i] = PyUnicode_InternFromString(time_names[i]))) {
            Py_DECREF(m);
            return NULL;
        }
    Error = PyErr_NewExceptionWithDoc(
        "visionrt.Error",
        "A library error: str() is the library's message; .status is the vrt_status "
        "code, .name its name (ENOENT, EINVAL, ...).",
        PyExc_RuntimeError, NULL);
    ClassType = PyStructSequence_NewType(&class_desc);
    DetectType = PyStructSequence_NewType(&det_desc);
    if (!Error || !ClassType || !DetectType || PyModule_AddObjectRef(m, "Error", Error) < 0 ||
        PyModule_AddObjectRef(m, "Class", (PyObject *)ClassType) < 0 ||
        PyModule_AddObjectRef(m, "Detection", (PyObject *)DetectType) < 0 ||
        add_type(m, &ArrayType, "_Array") < 0 || add_type(m, &ResultType, "Result") < 0 ||
        add_type(m, &DeviceMapType, "DeviceMap") < 0 || add_type(m, &FrameType, "Frame") < 0 ||
        add_type(m, &SessionType, "Session") < 0 || add_type(m, &SourceType, "Source") < 0 ||
        add_type(m, &PipelineType, "Pipeline") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
