/* The session implementations built into this library (session_impl.h). */
#include <string.h>

#include "pipeline/session_impl.h"

/* The CUDA implementation exists only in a CUDA build; registering it is the
 * one place that knows. */
#if defined(VRT_HAVE_CUDA)
extern const vrt__session_ops vrt__session_cuda;
#endif

static const vrt__session_ops *const k_ops[] = {
    &vrt__session_cpu,
#if defined(VRT_HAVE_CUDA)
    &vrt__session_cuda,
#endif
};
#define NOPS ((int)(sizeof(k_ops) / sizeof(k_ops[0])))

const vrt__session_ops *vrt__session_ops_find(const char *backend) {
    for (int i = 0; backend && i < NOPS; i++)
        if (!strcmp(k_ops[i]->name, backend)) return k_ops[i];
    return NULL;
}

const char *vrt__session_ops_names(void) {
#if defined(VRT_HAVE_CUDA)
    return "cpu, cuda";
#else
    return "cpu";
#endif
}
