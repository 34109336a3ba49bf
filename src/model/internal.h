/* Private to the model layer: shape inference (shape.c), run by the reader;
 * the IR container's mutators are in ir.h. */
#ifndef VRT_MODEL_INTERNAL_H
#define VRT_MODEL_INTERNAL_H

#include "model/ir.h"
#include "model/ops.h"

/* Shape inference, canonicalisation and constant folding over a topologically
 * ordered IR (shape.c). Folded nodes are removed. */
vrt_status vrt__ir_infer(vrt__ir *ir, char *err, size_t cap);

#endif
