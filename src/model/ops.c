/* The supported-op table: see ops.h. */
#include "model/ops.h"

#include <stdio.h>
#include <string.h>

static const vrt__op_info g_ops[VRT__OP_COUNT] = {{"<unknown>", 0, 0},
#define VRT__OP_INFO(name, lo, hi) {#name, lo, hi},
                                                  VRT__OP_LIST(VRT__OP_INFO)
#undef VRT__OP_INFO
};

vrt__op vrt__op_lookup(const char *op_type) {
    if (!op_type) return VRT__OP_UNKNOWN;
    for (int i = 1; i < VRT__OP_COUNT; i++)
        if (!strcmp(g_ops[i].name, op_type)) return (vrt__op)i;
    return VRT__OP_UNKNOWN;
}

const vrt__op_info *vrt__op_get(vrt__op op) {
    if ((int)op <= 0 || (int)op >= VRT__OP_COUNT) return &g_ops[0];
    return &g_ops[op];
}

const char *vrt__op_name(vrt__op op) {
    return vrt__op_get(op)->name;
}

void vrt__op_list_supported(char *buf, size_t cap) {
    if (!buf || !cap) return;
    size_t len = 0;
    buf[0] = 0;
    for (int i = 1; i < VRT__OP_COUNT && len + 1 < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i > 1 ? ", " : "", g_ops[i].name);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (len >= cap) buf[cap - 1] = 0;
}
