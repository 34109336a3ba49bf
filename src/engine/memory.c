/* vrt_engine_options.memory_limit: resolved at open and checked against the
 * plan before a backend allocates anything. The loader's bounds (a tensor
 * 8 GiB, an arena 32 GiB) keep sizes arithmetic-safe, but a 70-byte model
 * declaring a 1x1342177279 input still plans a 10 GiB arena within them:
 * this check is what turns that into a message instead of an allocation
 * the machine cannot back (an OOM kill, or a sanitizer's allocation limit). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/checked.h"
#include "engine/backend.h"
#include "model/ir.h"
#include "model/plan.h"

/* The memory.max of this process's cgroup (v2) when it is a number, else
 * SIZE_MAX: inside a container that is the limit the kernel enforces,
 * usually far below the host's physical memory. */
static size_t cgroup_limit(void) {
    char line[512], path[700];
    size_t lim = SIZE_MAX;
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return lim;
    path[0] = 0;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = 0;
            snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max",
                     strcmp(line + 3, "/") ? line + 3 : "");
            break;
        }
    fclose(f);
    unsigned long long v;
    if (path[0] && (f = fopen(path, "r"))) {
        if (fscanf(f, "%llu", &v) == 1 && v < SIZE_MAX) lim = (size_t)v; /* "max": no limit */
        fclose(f);
    }
    return lim;
}

/* Physical memory, or the cgroup's limit when lower; *what says which. */
static size_t host_limit(const char **what) {
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    size_t phys = SIZE_MAX, cg = cgroup_limit();
    if (pages > 0 && psz > 0 && !vrt__mul_size((size_t)pages, (size_t)psz, &phys)) phys = SIZE_MAX;
    *what = cg < phys ? "auto: this cgroup's memory.max" : "auto: the machine's physical memory";
    return cg < phys ? cg : phys;
}

/* opt->memory_limit resolved: the caller's value, else the backend's auto
 * value (SIZE_MAX when it cannot be known: the allocation then reports). */
static size_t resolve_limit(size_t opt, const vrt__backend_iface *be, int device, const char **what) {
    if (opt) {
        *what = "vrt_engine_options.memory_limit";
        return opt;
    }
    size_t free_b = 0, total_b = 0;
    if (be == &vrt__backend_cuda) {
        *what = "auto: the CUDA device's free memory";
        return vrt__cuda_mem_info && !vrt__cuda_mem_info(device, &free_b, &total_b) ? free_b : SIZE_MAX;
    }
    return host_limit(what);
}

/* "1.25 GiB" / "588.0 KiB": sizes people can compare at a glance. */
static const char *human(size_t b, char *buf, size_t cap) {
    if (b >= (size_t)1 << 30)
        snprintf(buf, cap, "%.2f GiB", (double)b / (double)(1u << 30));
    else if (b >= (size_t)1 << 20)
        snprintf(buf, cap, "%.1f MiB", (double)b / (double)(1u << 20));
    else
        snprintf(buf, cap, "%.1f KiB", (double)b / 1024.0);
    return buf;
}

/* "'x' 1x3x224x224, 'y' 1x10" (at most four inputs). */
static void inputs_text(const vrt__ir *ir, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < ir->n_inputs && i < 4 && len + 40 < cap; i++) {
        const vrt__tensor *t = &ir->tensors[ir->inputs[i]];
        len += (size_t)snprintf(buf + len, cap - len, "%s'%.60s' ", i ? ", " : "", t->name);
        for (int k = 0; k < t->shape.ndim && len + 24 < cap; k++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%lld", k ? "x" : "", (long long)t->shape.d[k]);
        if (!t->shape.ndim && len + 8 < cap) len += (size_t)snprintf(buf + len, cap - len, "scalar");
    }
    if (ir->n_inputs > 4 && len + 8 < cap) snprintf(buf + len, cap - len, ", ...");
}

size_t vrt__engine_weight_copy_bytes(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_iface *be,
                                     int *largest) {
    /* Weights the backend copies: CUDA uploads every one; the CPU backend
     * converts only those not held in their own type (fp16, lowp). */
    size_t weights = 0;
    *largest = -1;
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor_plan *tp = &plan->t[i];
        if (tp->storage == VRT__ST_WEIGHT &&
            (be != &vrt__backend_cpu || vrt__plan_dtype(ir->tensors[i].dtype) != ir->tensors[i].dtype))
            weights += tp->bytes; /* each bounded by 8 GiB, their count by the node bound: no overflow */
        if (tp->storage == VRT__ST_ARENA && (*largest < 0 || tp->bytes > plan->t[*largest].bytes))
            *largest = i;
    }
    return weights;
}

vrt_status vrt__engine_check_memory(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_iface *be,
                                    int device, vrt_engine_options *opt, char *err, size_t cap) {
    const char *what = "";
    size_t limit = resolve_limit(opt->memory_limit, be, device, &what);
    opt->memory_limit = limit; /* the backend checks its own extras (CPU scratch) against it */
    int largest;
    size_t weights = vrt__engine_weight_copy_bytes(ir, plan, be, &largest);
    size_t need = plan->arena_bytes + plan->const_bytes + weights;
    if (need <= limit) return VRT_OK;
    char a[32], c[32], w[32], n[32], l[32], lt[32], in[400];
    inputs_text(ir, in, sizeof(in));
    vrt_errbuf_set(err, cap,
                   "the model needs %s at this input size (activations %s, largest '%.60s' %s; constants %s; "
                   "weights %s), more than the memory limit of %s (%s); inputs: %s. A smaller input size "
                   "(--height/--width) or batch needs less",
                   human(need, n, sizeof(n)), human(plan->arena_bytes, a, sizeof(a)),
                   largest >= 0 ? ir->tensors[largest].name : "-",
                   human(largest >= 0 ? plan->t[largest].bytes : 0, lt, sizeof(lt)),
                   human(plan->const_bytes, c, sizeof(c)), human(weights, w, sizeof(w)),
                   human(limit, l, sizeof(l)), what, in[0] ? in : "none");
    return VRT_ENOMEM;
}
