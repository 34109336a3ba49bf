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

/* ---- _Array: a small owned buffer (boxes, scores) exported to numpy ------------------------- */

typedef struct {
    PyObject_HEAD void *data;
    Py_ssize_t shape[2], strides[2];
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

/* A numpy array of n x cols (cols 0: 1-D) items of format 'f' or 'i', filled by the caller. */
static PyObject *new_array(Py_ssize_t n, Py_ssize_t cols, char fmt, void **data) {
    ArrayObject *a = PyObject_New(ArrayObject, &ArrayType);
    if (!a) return NULL;
    a->itemsize = 4;
    a->format[0] = fmt;
    a->format[1] = 0;
    a->ndim = cols ? 2 : 1;
    a->shape[0] = n;
    a->shape[1] = cols;
    a->strides[0] = cols ? cols * 4 : 4;
    a->strides[1] = 4;
    a->data = PyMem_Calloc((size_t)(n ? n : 1) * (size_t)(cols ? cols : 1), 4);
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
    int64_t time_ns[VRT_TIME_COUNT];
    long long sequence, timestamp_ns;
    int slot, stream, candidates;
    long long frame_number, index;
} ResultObject;

static void result_dealloc(ResultObject *r) {
    Py_XDECREF(r->kind);
    Py_XDECREF(r->task);
    Py_XDECREF(r->classes);
    Py_XDECREF(r->detections);
    Py_XDECREF(r->times);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static PyObject *label_or_none(const char *s) {
    if (s) return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
    Py_RETURN_NONE;
}

static PyObject *class_list(const vrt_result *r) {
    int n = vrt_result_kind(r) == VRT_RESULT_CLASSES ? vrt_result_count(r) : 0;
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        int index = 0;
        float score = 0;
        vrt_result_class(r, i, &index, &score);
        PyObject *c = PyStructSequence_New(ClassType);
        if (!c) {
            Py_CLEAR(list);
            break;
        }
        PyStructSequence_SetItem(c, 0, PyLong_FromLong(index));
        PyStructSequence_SetItem(c, 1, PyFloat_FromDouble(score));
        PyStructSequence_SetItem(c, 2, label_or_none(vrt_result_label(r, i)));
        PyList_SET_ITEM(list, i, c);
    }
    return list;
}

/* A cascade's classes for detection i (vrt_result_secondary): list of Class, empty when none. */
static PyObject *secondary_list(const vrt_result *r, int i) {
    int n = vrt_result_secondary_count(r, i);
    PyObject *list = PyList_New(n > 0 ? n : 0);
    for (int k = 0; list && k < n; k++) {
        int index = 0;
        float score = 0;
        vrt_result_secondary(r, i, k, &index, &score);
        PyObject *c = PyStructSequence_New(ClassType);
        if (!c) {
            Py_CLEAR(list);
            break;
        }
        PyStructSequence_SetItem(c, 0, PyLong_FromLong(index));
        PyStructSequence_SetItem(c, 1, PyFloat_FromDouble(score));
        PyStructSequence_SetItem(c, 2, label_or_none(vrt_result_secondary_label(r, i, k)));
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
        if (!o) {
            Py_CLEAR(list);
            break;
        }
        PyStructSequence_SetItem(o, 0, PyFloat_FromDouble(d.box.x1));
        PyStructSequence_SetItem(o, 1, PyFloat_FromDouble(d.box.y1));
        PyStructSequence_SetItem(o, 2, PyFloat_FromDouble(d.box.x2));
        PyStructSequence_SetItem(o, 3, PyFloat_FromDouble(d.box.y2));
        PyStructSequence_SetItem(o, 4, PyFloat_FromDouble(d.score));
        PyStructSequence_SetItem(o, 5, PyLong_FromLong(d.class_id));
        PyStructSequence_SetItem(o, 6, label_or_none(vrt_result_label(r, i)));
        PyObject *sec = secondary_list(r, i);
        if (!sec) {
            Py_DECREF(o);
            Py_CLEAR(list);
            break;
        }
        PyStructSequence_SetItem(o, 7, sec);
        PyList_SET_ITEM(list, i, o);
    }
    return list;
}

/* Keys of Result.times; a stage this table does not name yet is left out. */
static const char *const time_names[VRT_TIME_COUNT] = {
    [VRT_TIME_UPLOAD] = "upload",       [VRT_TIME_PREPROCESS] = "preprocess",
    [VRT_TIME_MODEL] = "model",         [VRT_TIME_POSTPROCESS] = "postprocess",
    [VRT_TIME_DOWNLOAD] = "download",   [VRT_TIME_TOTAL] = "total",
    [VRT_TIME_SUBMIT] = "submit",       [VRT_TIME_DONE] = "done",
    [VRT_TIME_SECONDARY] = "secondary",
};

/* Copies everything out of a library result (valid only until the slot's next submission). */
static PyObject *result_from(const vrt_result *r) {
    ResultObject *o = PyObject_New(ResultObject, &ResultType);
    if (!o) return NULL;
    o->kind = PyUnicode_FromString(vrt_result_type_name(vrt_result_kind(r)));
    o->task = PyUnicode_FromString(vrt_task_name(vrt_result_task(r)));
    o->classes = class_list(r);
    o->detections = detection_list(r);
    o->times = NULL;
    o->sequence = (long long)vrt_result_sequence(r);
    o->timestamp_ns = vrt_result_timestamp_ns(r);
    o->slot = vrt_result_slot(r);
    o->candidates = vrt_result_candidates(r);
    o->stream = -1;
    o->frame_number = -1;
    o->index = -1;
    for (int i = 0; i < VRT_TIME_COUNT; i++)
        o->time_ns[i] = vrt_result_time_ns(r, (vrt_result_time)i);
    if (!o->kind || !o->task || !o->classes || !o->detections) {
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
            if (!time_names[i]) continue;
            PyObject *v = PyLong_FromLongLong(r->time_ns[i]);
            if (!v || PyDict_SetItemString(d, time_names[i], v) < 0) Py_CLEAR(d);
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
    PyObject *arr = new_array(n, w == 0 ? 4 : 0, w == 2 ? 'i' : 'f', &data);
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

static PyObject *result_repr(ResultObject *r) {
    if (PyList_GET_SIZE(r->classes))
        return PyUnicode_FromFormat("<visionrt.Result %U: %R>", r->kind, PyList_GET_ITEM(r->classes, 0));
    return PyUnicode_FromFormat("<visionrt.Result %U: %zd detections>", r->kind,
                                PyList_GET_SIZE(r->detections));
}

static PyMemberDef result_members[] = {
    {"kind", T_OBJECT_EX, offsetof(ResultObject, kind), READONLY,
     "classes | detections | dense | keypoints | none"},
    {"task", T_OBJECT_EX, offsetof(ResultObject, task), READONLY, "the profile's task head"},
    {"classes", T_OBJECT_EX, offsetof(ResultObject, classes), READONLY, "list of Class, best first"},
    {"detections", T_OBJECT_EX, offsetof(ResultObject, detections), READONLY, "list of Detection"},
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
    {NULL}};

static PyTypeObject ResultType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "visionrt.Result",
    .tp_basicsize = sizeof(ResultObject),
    .tp_dealloc = (destructor)result_dealloc,
    .tp_repr = (reprfunc)result_repr,
    .tp_members = result_members,
    .tp_getset = result_getset,
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
} SessionObject;

static int session_ok(SessionObject *o) {
    if (o->s) return 1;
    PyErr_SetString(PyExc_RuntimeError, "the session is closed");
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
                          NULL};
    const char *model, *profile = NULL, *backend = "auto", *format = "RGB24", *c_model = NULL,
                       *c_profile = NULL;
    unsigned int width = 640, height = 480;
    int slots = 2, threads = 0, c_max = 16;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zsIIsiizzi", kws, &model, &profile, &backend, &width,
                                     &height, &format, &slots, &threads, &c_model, &c_profile, &c_max))
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
    vrt_cascade_params cp; /* detector -> classifier on the crops (vrt/session.h) */
    if (c_profile) {
        vrt_cascade_default_params(&cp);
        cp.model = c_model;
        cp.profile_path = c_profile;
        cp.max_batch = c_max;
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
    Py_BEGIN_ALLOW_THREADS st = vrt_session_run(o->s, &f, &r);
    Py_END_ALLOW_THREADS o->in_call = 0;
    PyBuffer_Release(&v);
    if (st) return raise_status(st, vrt_session_last_error(o->s));
    return result_from(r);
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
    return result_from(r);
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
    return result_from(r);
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

static PyMethodDef session_methods[] = {
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

static int add_sources(PipelineObject *o, PyObject *sources, char *err, size_t cap) {
    PyObject *seq = PySequence_Fast(sources, "sources: a list of URIs");
    if (!seq) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        const char *uri = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        int st = uri ? vrt_pipeline_add_source(o->p, uri, NULL, NULL, err, cap) : -1;
        if (st) {
            Py_DECREF(seq);
            if (uri) raise_status(st, err);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int add_outputs(PipelineObject *o, PyObject *outputs, char *err, size_t cap) {
    PyObject *seq = PySequence_Fast(outputs, "outputs: a list of sink URIs");
    if (!seq) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        const char *uri = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        int st = uri ? vrt_sink_add(o->p, uri, NULL, err, cap) : -1;
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
    if (add_sources(o, sources, err, sizeof err) < 0) return -1;
    if (outputs && outputs != Py_None && add_outputs(o, outputs, err, sizeof err) < 0) return -1;
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
        add_type(m, &FrameType, "Frame") < 0 || add_type(m, &SessionType, "Session") < 0 ||
        add_type(m, &SourceType, "Source") < 0 || add_type(m, &PipelineType, "Pipeline") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
