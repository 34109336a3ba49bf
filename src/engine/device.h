/*
 * Private: the device side of an engine, for the session's frame path
 * (src/pipeline/cuda/session_cuda.c), which puts the model between its own
 * upload, pre- and post-processing on one stream and captures all of it
 * into one graph per slot. Reached through the backend table's optional
 * members (engine/backend.h), so callers never include a backend's headers.
 *
 * Everything answers NULL / VRT_ENOTSUP on a backend without a device (CPU).
 * Pointers are the backend's own buffers, fixed while the engine lives.
 * Threading: as the engine (one thread at a time).
 */
#ifndef VRT_ENGINE_DEVICE_H
#define VRT_ENGINE_DEVICE_H

#include <stddef.h>

#include "vrt/engine.h"

/* 1 when the engine's backend has the device members. */
int vrt__engine_has_device(const vrt_engine_t *e);
/* The backend's stream (cudaStream_t as void *). */
void *vrt__engine_stream(const vrt_engine_t *e);
/* Device address of model input / output i (fp32); *bytes (may be NULL) its size. */
void *vrt__engine_device_input(vrt_engine_t *e, int i, size_t *bytes);
void *vrt__engine_device_output(vrt_engine_t *e, int i, size_t *bytes);
/* Enqueues the model's steps on stream (capturable); vrt_engine_last_error has the detail. */
vrt_status vrt__engine_enqueue(vrt_engine_t *e, void *stream);

#endif
