/* Private helpers shared by the model layer's files (reader, shape inference). */
#ifndef VRT_MODEL_INTERNAL_H
#define VRT_MODEL_INTERNAL_H

#include "model/ir.h"
#include "model/ops.h"

/* Appends a tensor named `name` (copied); returns its index or -1 (ENOMEM). */
int vrt__ir_add_tensor(vrt__ir *ir, const char *name);
/* Replaces or adds an attribute; the attribute's arrays are copied. */
vrt_status vrt__node_set_ints(vrt__node *n, const char *name, const int64_t *v, int count);
vrt_status vrt__node_set_floats(vrt__node *n, const char *name, const float *v, int count);
vrt_status vrt__node_set_int(vrt__node *n, const char *name, int64_t v);
vrt_status vrt__node_set_float(vrt__node *n, const char *name, float v);
vrt_status vrt__node_set_string(vrt__node *n, const char *name, const char *s);
void vrt__attr_free(vrt__attr *a);

/* Shape inference, canonicalisation and constant folding over a topologically
 * ordered IR (shape.c). Folded nodes are removed. */
vrt_status vrt__ir_infer(vrt__ir *ir, char *err, size_t cap);
/* Recomputes producer/consumer links from the node list. */
vrt_status vrt__ir_relink(vrt__ir *ir);

#endif
