/*
 * Host I/O of the CUDA backend: what vrt_engine_run's host buffers cost on
 * top of the model's graph replay, kept to one host copy each way at most.
 *
 * Each graph input and output has a page-locked staging buffer (the
 * engine's element type), allocated once at prepare, and each output a few
 * events, created once. Per inference, in the order the engine calls them:
 *
 *   set_input   a caller buffer that is itself page-locked (cudaHostAlloc,
 *               cudaHostRegister, a session slot, vrt_engine_input_buffer)
 *               and needs no conversion is not copied: run() uploads from it.
 *               Else the data is copied (or converted) into the staging;
 *               a large plain copy is cut into chunks, each chunk's upload
 *               enqueued as soon as it is in the staging, so the host copy
 *               of chunk k+1 overlaps the DMA of chunk k.
 *   run         the uploads not yet enqueued, then the model's steps (ONE
 *               graph replay from the second run on, without the I/O
 *               copies), then an event the next set_input waits on before
 *               it overwrites the staging.
 *   get_output  the download: straight into a page-locked caller buffer,
 *               else into the staging in chunks, an event after each.
 *   sync        waits for each chunk's event and copies (or converts) that
 *               chunk into the caller's buffer while the next is still in
 *               flight, then one stream synchronisation.
 *
 * Nothing here allocates, logs or locks per inference. The copies are the
 * same bytes as one whole-buffer copy: results are bit-identical.
 */
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"

/* Chunks of at least this many bytes: below it the extra copy call (a few
 * microseconds) costs more than the overlap saves. */
#define IO_CHUNK_MIN ((size_t)512 << 10)

static int n_chunks(size_t bytes) {
    size_t k = bytes / IO_CHUNK_MIN;
    return k < 1 ? 1 : k > VRT__CUDA_IO_CHUNKS ? VRT__CUDA_IO_CHUNKS : (int)k;
}

/* Chunk j of k over bytes: 4 KiB-aligned starts (whole elements of any type). */
static size_t chunk(size_t bytes, int k, int j, size_t *len) {
    size_t per = ((bytes + (size_t)k - 1) / (size_t)k + 4095) & ~(size_t)4095;
    size_t off = per * (size_t)j;
    if (off > bytes) off = bytes;
    *len = bytes - off < per ? bytes - off : per;
    return off;
}

/* 1 when p is page-locked host memory the device can copy from directly. */
static int page_locked(const void *p) {
    struct cudaPointerAttributes a;
    if (!p || cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return a.type == cudaMemoryTypeHost;
}

vrt_status vrt__cuda_io_alloc(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    vrt_status st;
    c->in = vrt_calloc((size_t)ir->n_inputs + 1, sizeof(*c->in));
    c->out = vrt_calloc((size_t)ir->n_outputs + 1, sizeof(*c->out));
    if (!c->in || !c->out) return VRT_ENOMEM;
    if ((st = CUCK(cudaEventCreateWithFlags(&c->in_free, cudaEventDisableTiming))) ||
        (st = CUCK(cudaEventCreateWithFlags(&c->up_done, cudaEventDisableTiming))))
        return st;
    for (int i = 0; i < ir->n_inputs; i++) {
        size_t b = c->plan->t[ir->inputs[i]].bytes;
        if (b && (st = CUCK(cudaMallocHost(&c->in[i].stage, b)))) return st;
    }
    for (int i = 0; i < ir->n_outputs; i++) {
        size_t b = c->plan->t[ir->outputs[i]].bytes;
        if (b && (st = CUCK(cudaMallocHost(&c->out[i].stage, b)))) return st;
        for (int j = 0; b && j < n_chunks(b); j++)
            if ((st = CUCK(cudaEventCreateWithFlags(&c->out[i].ev[j], cudaEventDisableTiming)))) return st;
    }
    return VRT_OK;
}

void vrt__cuda_io_free(cuda_ctx *c) {
    if (c->in)
        for (int i = 0; i < c->ir->n_inputs; i++)
            if (c->in[i].stage) cudaFreeHost(c->in[i].stage);
    if (c->out)
        for (int i = 0; i < c->ir->n_outputs; i++) {
            if (c->out[i].stage) cudaFreeHost(c->out[i].stage);
            for (int j = 0; j < VRT__CUDA_IO_CHUNKS; j++)
                if (c->out[i].ev[j]) cudaEventDestroy(c->out[i].ev[j]);
        }
    vrt_free(c->in);
    vrt_free(c->out);
    c->in = NULL;
    c->out = NULL;
    if (c->in_free) cudaEventDestroy(c->in_free);
    if (c->up_done) cudaEventDestroy(c->up_done);
}

/* A plain copy into the staging, each chunk's upload enqueued behind it. */
static vrt_status stage_and_upload(cuda_ctx *c, cuda_in *in, void *dev, const void *data, size_t bytes,
                                   cudaStream_t s) {
    int k = n_chunks(bytes);
    for (int j = 0; j < k; j++) {
        size_t len, off = chunk(bytes, k, j, &len);
        memcpy((uint8_t *)in->stage + off, (const uint8_t *)data + off, len);
        vrt_status st = CUCK(cudaMemcpyAsync((uint8_t *)dev + off, (uint8_t *)in->stage + off, len,
                                             cudaMemcpyHostToDevice, s));
        if (st) return st;
    }
    in->src = in->stage;
    in->bytes = bytes;
    in->uploaded = 1;
    in->up = s;
    return VRT_OK;
}

vrt_status vrt__cuda_io_set_input(cuda_ctx *c, int i, const void *data, vrt__dtype dt, size_t nbytes,
                                  void *stream) {
    int t = c->ir->inputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    cuda_in *in = &c->in[i];
    if (!c->ptr[t] || !in->stage) return VRT_OK; /* unused or empty input */
    int plain = vrt__plan_dtype(dt) == dt && dt != VRT__DT_FLOAT16;
    if (data == in->stage && !plain) {
        snprintf(c->err, sizeof(c->err),
                 "input %d ('%s'): the engine's input buffer holds %s; pass it with that element type", i,
                 x->name, vrt__dtype_name(vrt__plan_dtype(x->dtype)));
        return VRT_EINVAL;
    }
    in->uploaded = 0;
    size_t bytes = nbytes < c->plan->t[t].bytes ? nbytes : c->plan->t[t].bytes;
    if (plain && (data == in->stage || page_locked(data))) {
        in->src = data; /* run() uploads straight from the caller's page-locked memory */
        in->bytes = bytes;
        return VRT_OK;
    }
    /* The previous run may still be copying the staging to the device. */
    vrt_status st;
    if (c->in_free_valid && (st = CUCK(cudaEventSynchronize(c->in_free)))) return st;
    int64_t cnt = vrt__shape_numel(&x->shape);
    in->src = in->stage;
    in->bytes = c->plan->t[t].bytes;
    if (dt == VRT__DT_FLOAT16) {
        vrt__half_to_float_n((const uint16_t *)data, in->stage, cnt);
    } else if (!plain) {
        vrt__lowp_host_to_engine(dt, data, in->stage, cnt); /* double, bfloat16, float8/4, 4-/2-bit ints */
    } else if (n_chunks(bytes) > 1) {
        return stage_and_upload(c, in, c->ptr[t], data, bytes, stream ? (cudaStream_t)stream : c->stream);
    } else if (cnt) {
        memcpy(in->stage, data, nbytes);
    }
    return VRT_OK;
}

vrt_status vrt__cuda_io_upload(cuda_ctx *c, cudaStream_t s) {
    vrt_status st;
    for (int i = 0; i < c->ir->n_inputs; i++) {
        int t = c->ir->inputs[i];
        cuda_in *in = &c->in[i];
        if (!c->ptr[t] || !in->stage) continue;
        if (in->uploaded) {
            /* set_input enqueued it, pipelined with its host copy; later runs
             * without a new set_input upload the staging again. */
            in->uploaded = 0;
            if (in->up != s && ((st = CUCK(cudaEventRecord(c->up_done, in->up))) ||
                                (st = CUCK(cudaStreamWaitEvent(s, c->up_done, 0)))))
                return st;
            continue;
        }
        const void *src = in->src ? in->src : in->stage;
        size_t bytes = in->src ? in->bytes : c->plan->t[t].bytes;
        if (bytes && (st = CUCK(cudaMemcpyAsync(c->ptr[t], src, bytes, cudaMemcpyHostToDevice, s))))
            return st;
    }
    return VRT_OK;
}

/* The copy (or conversion) of [off, off + len) of the staging (engine type)
 * into the caller's buffer. */
static void copy_out(cuda_out *o, size_t off, size_t len) {
    if (o->to_half) {
        vrt__float_to_half_n((const float *)(const void *)((const uint8_t *)o->stage + off),
                             (uint16_t *)o->dst + off / 4, (int64_t)(len / 4));
    } else if (o->lowp) {
        vrt__lowp_engine_to_host(o->lowp, o->stage, o->dst, o->n); /* one chunk (packed types) */
    } else if (len) {
        memcpy((uint8_t *)o->dst + off, (const uint8_t *)o->stage + off, len);
    }
}

vrt_status vrt__cuda_io_get_output(cuda_ctx *c, int i, void *data, vrt__dtype dt, size_t nbytes,
                                   void *stream) {
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    int t = c->ir->outputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    cuda_out *o = &c->out[i];
    if (!o->stage) return VRT_OK; /* empty tensor */
    int plain = vrt__plan_dtype(dt) == dt && dt != VRT__DT_FLOAT16;
    if (data == o->stage && !plain) {
        snprintf(c->err, sizeof(c->err),
                 "output %d ('%s'): the engine's output buffer holds %s; pass it with that element type", i,
                 x->name, vrt__dtype_name(vrt__plan_dtype(x->dtype)));
        return VRT_EINVAL;
    }
    size_t dev_bytes = c->plan->t[t].bytes;
    o->dst = data;
    o->n = vrt__shape_numel(&x->shape);
    o->to_half = dt == VRT__DT_FLOAT16;
    o->lowp = !plain && !o->to_half ? dt : VRT__DT_UNDEFINED;
    o->pending = 0;
    if (plain && (data == o->stage || page_locked(data))) {
        /* Straight into the caller's page-locked memory: sync() only waits. */
        size_t b = nbytes < dev_bytes ? nbytes : dev_bytes;
        return b ? CUCK(cudaMemcpyAsync(data, c->ptr[t], b, cudaMemcpyDeviceToHost, s)) : VRT_OK;
    }
    /* Into the staging in chunks; sync() copies each once its event fired. */
    size_t bytes = plain ? nbytes : o->to_half ? (size_t)o->n * 4 : dev_bytes;
    if (bytes > dev_bytes) bytes = dev_bytes;
    o->bytes = bytes;
    o->k = o->lowp ? 1 : n_chunks(bytes);
    if (o->k > 1 && !o->ev[o->k - 1]) o->k = 1;
    for (int j = 0; j < o->k; j++) {
        size_t len, off = chunk(bytes, o->k, j, &len);
        vrt_status st;
        if ((st = CUCK(cudaMemcpyAsync((uint8_t *)o->stage + off, c->ptr[t] + off, len,
                                       cudaMemcpyDeviceToHost, s))) ||
            (o->k > 1 && (st = CUCK(cudaEventRecord(o->ev[j], s)))))
            return st;
    }
    o->pending = 1;
    return VRT_OK;
}

vrt_status vrt__cuda_io_sync(cuda_ctx *c, void *stream) {
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    vrt_status st = VRT_OK;
    for (int i = 0; i < c->ir->n_outputs; i++) {
        cuda_out *o = &c->out[i];
        if (!o->pending) continue;
        o->pending = 0;
        for (int j = 0; j < o->k && !st; j++) {
            size_t len, off = chunk(o->bytes, o->k, j, &len);
            if (o->k > 1)
                st = CUCK(cudaEventSynchronize(o->ev[j]));
            else
                st = CUCK(cudaStreamSynchronize(s));
            if (!st) copy_out(o, off, len);
        }
    }
    vrt_status sst = CUCK(cudaStreamSynchronize(s));
    return st ? st : sst;
}

void *vrt__cuda_io_host_buffer(cuda_ctx *c, int output, int i, size_t *bytes) {
    if (bytes) *bytes = 0;
    int n = output ? c->ir->n_outputs : c->ir->n_inputs;
    if (i < 0 || i >= n) return NULL;
    void *p = output ? c->out[i].stage : c->in[i].stage;
    int t = output ? c->ir->outputs[i] : c->ir->inputs[i];
    if (bytes && p) *bytes = c->plan->t[t].bytes;
    return p;
}
