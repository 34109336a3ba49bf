/*
 * Memory planner (see plan.h): storage class per tensor, lifetimes over the
 * node order, best-fit offsets in one arena.
 *
 * Placement is greedy by size (largest first, as ggml's and TFLite's
 * planners do): each tensor goes into the smallest gap, among the tensors
 * already placed whose lifetimes overlap its own, that holds it; if none
 * does, above the highest of them. Intervals are inclusive node indices: a
 * node reads its inputs while it writes its outputs, so a tensor that dies
 * at node i never shares bytes with one born at node i.
 *
 * The tensors placed so far are indexed by the nodes they live across
 * (live_index), so finding those that overlap a lifetime costs the length
 * of the lifetimes involved, not the number of tensors: a chain of 10^6
 * nodes plans in linear time. Where the index would grow past
 * LIVE_MAX_ENTRIES (thousands of tensors that all live across most of a
 * huge graph) placement scans every placed tensor instead, as it did before.
 */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "model/internal.h"
#include "model/plan.h"

static size_t align_up(size_t v) {
    return (v + VRT__PLAN_ALIGN - 1) / VRT__PLAN_ALIGN * VRT__PLAN_ALIGN;
}

typedef struct span {
    size_t off, end;
} span;

static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

typedef struct order_key {
    size_t bytes;
    int first, idx;
} order_key;

static int cmp_order(const void *a, const void *b) {
    const order_key *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void vrt__plan_destroy(vrt__plan **pp) {
    if (!pp || !*pp) return;
    vrt_free((*pp)->t);
    vrt_free((*pp)->node_const);
    vrt_free(*pp);
    *pp = NULL;
}

static int root_of(const vrt__plan *p, int t) {
    return p->t[t].storage == VRT__ST_VIEW ? p->t[t].base : t;
}

/* Sizes of every tensor; weights and graph inputs get their storage. */
static void plan_sources(const vrt__ir *ir, vrt__plan *p) {
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor *x = &ir->tensors[i];
        vrt__tensor_plan *tp = &p->t[i];
        tp->base = i;
        tp->first = tp->last = -1;
        tp->bytes = x->shape_known ? (size_t)vrt__shape_numel(&x->shape) * vrt__plan_elem_size(x->dtype) : 0;
        int used = x->n_consumers > 0 || x->is_output;
        if (!used) continue;
        if (x->data) {
            tp->storage = VRT__ST_WEIGHT;
            p->weight_bytes += tp->bytes;
        } else if (x->kind == VRT__TK_INPUT) {
            tp->storage = VRT__ST_ARENA;
            tp->first = -1;
            tp->last = ir->n_nodes;
        }
    }
}

/* Node outputs in order: views, consts, arena tensors. */
static vrt_status plan_outputs(const vrt__ir *ir, vrt__plan *p, char *err, size_t cap) {
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        int all_const = 1;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0) continue;
            vrt__storage s = p->t[root_of(p, t)].storage;
            if (s != VRT__ST_WEIGHT && s != VRT__ST_CONST) all_const = 0;
            if (s == VRT__ST_NONE) {
                vrt_errbuf_set(
                    err, cap,
                    "node '%s' (%s): input '%s' is neither produced earlier nor a weight or graph input",
                    n->name, n->op_type, ir->tensors[t].name);
                return VRT_EINVAL;
            }
        }
        int view = vrt__node_get_int(n, "_view", 0) != 0 && n->n_inputs >= 1 && n->inputs[0] >= 0;
        p->node_const[i] = (unsigned char)all_const;
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k];
            if (t < 0) continue;
            vrt__tensor_plan *tp = &p->t[t];
            if (ir->tensors[t].data) continue; /* known value: stays a weight */
            if (view && k == 0) {
                tp->storage = VRT__ST_VIEW;
                tp->base = root_of(p, n->inputs[0]);
            } else if (all_const) {
                tp->storage = VRT__ST_CONST;
            } else {
                tp->storage = VRT__ST_ARENA;
                tp->first = tp->last = i;
            }
        }
    }
    return VRT_OK;
}

/* Concat in place. Input t of Concat node i qualifies when it is an arena
 * tensor its producer writes (no graph input, graph output, view or const),
 * appears once in no other in-place Concat, and is no in-place Concat's
 * output itself (a view is never the base of another). t and the views of t
 * then become views into the output at t's block; the output is live from
 * the first producer on. */
static int concat_input_ok(const vrt__ir *ir, const vrt__plan *p, const unsigned char *aliased, int t) {
    const vrt__tensor *x = &ir->tensors[t];
    return p->t[t].storage == VRT__ST_ARENA && x->kind != VRT__TK_INPUT && !x->is_output &&
           x->producer >= 0 && !aliased[t] && p->t[t].bytes > 0;
}

static void concat_one(const vrt__ir *ir, vrt__plan *p, unsigned char *aliased, int i) {
    const vrt__node *n = &ir->nodes[i];
    int o = n->n_outputs > 0 ? n->outputs[0] : -1, a = 0;
    if (o < 0 || p->t[o].storage != VRT__ST_ARENA || n->n_inputs < 1) return;
    const vrt__shape *so = &ir->tensors[o].shape;
    if (vrt__axis_index(vrt__node_get_int(n, "axis", 0), so->ndim, &a)) return;
    for (int d = 0; d < a; d++)
        if (so->d[d] != 1) return;
    size_t total = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        int t = n->inputs[k];
        if (t < 0 || !concat_input_ok(ir, p, aliased, t)) return;
        for (int q = 0; q < k; q++)
            if (n->inputs[q] == t) return;
        total += p->t[t].bytes;
    }
    if (total != p->t[o].bytes) return;
    size_t off = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        int t = n->inputs[k];
        vrt__tensor_plan *tp = &p->t[t];
        if (tp->first < p->t[o].first) p->t[o].first = tp->first;
        for (int v = 0; v < ir->n_tensors; v++)
            if (p->t[v].storage == VRT__ST_VIEW && p->t[v].base == t)
                p->t[v].base = o, p->t[v].view_off += off;
        tp->storage = VRT__ST_VIEW;
        tp->base = o;
        tp->view_off = off;
        aliased[t] = 1;
        off += tp->bytes;
    }
    aliased[o] = 1;
}

static vrt_status plan_concat_in_place(const vrt__ir *ir, vrt__plan *p) {
    unsigned char *aliased = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    if (!aliased) return VRT_ENOMEM;
    for (int i = 0; i < ir->n_nodes; i++)
        if (ir->nodes[i].op == VRT__OP_Concat && !p->node_const[i]) concat_one(ir, p, aliased, i);
    vrt_free(aliased);
    return VRT_OK;
}

/* Lifetimes: each use extends the root's range; graph outputs live to the end. */
static void plan_lifetimes(const vrt__ir *ir, vrt__plan *p) {
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k] < 0) continue;
            vrt__tensor_plan *r = &p->t[root_of(p, n->inputs[k])];
            if (r->storage == VRT__ST_ARENA && r->last < i) r->last = i;
        }
    }
    for (int i = 0; i < ir->n_outputs; i++) {
        int t = ir->outputs[i];
        if (t < 0) continue;
        vrt__tensor_plan *r = &p->t[root_of(p, t)];
        if (r->storage == VRT__ST_ARENA) r->last = ir->n_nodes;
    }
}

#define LIVE_MAX_ENTRIES ((size_t)1 << 25)

/* Placed tensors by node: head[node + 1] starts a list (next/who) of the
 * placed tensors live at that node (node -1 is the graph inputs' "before
 * the first node"). seen[] marks a tensor once per query. */
typedef struct live_index {
    int *head, *next, *who, *seen;
    size_t n, cap;
    int stamp;
} live_index;

static void live_free(live_index *li) {
    vrt_free(li->head);
    vrt_free(li->next);
    vrt_free(li->who);
    vrt_free(li->seen);
    memset(li, 0, sizeof(*li));
}

/* 0 when the index is unusable (too large or out of memory): the caller then scans. */
static int live_init(live_index *li, const vrt__plan *p, int n_nodes, const order_key *order, int na) {
    memset(li, 0, sizeof(*li));
    size_t total = 0;
    for (int q = 0; q < na; q++) {
        const vrt__tensor_plan *a = &p->t[order[q].idx];
        total += (size_t)(a->last - a->first + 1);
        if (total > LIVE_MAX_ENTRIES) return 0;
    }
    li->cap = total + 1;
    li->head = vrt_malloc(((size_t)n_nodes + 3) * sizeof(int));
    li->next = vrt_malloc(li->cap * sizeof(int));
    li->who = vrt_malloc(li->cap * sizeof(int));
    li->seen = vrt_calloc((size_t)p->n_tensors + 1, sizeof(int));
    if (!li->head || !li->next || !li->who || !li->seen) {
        live_free(li);
        return 0;
    }
    for (int i = 0; i < n_nodes + 3; i++)
        li->head[i] = -1;
    return 1;
}

static void live_add(live_index *li, const vrt__plan *p, int t) {
    for (int node = p->t[t].first; node <= p->t[t].last; node++) {
        li->who[li->n] = t;
        li->next[li->n] = li->head[node + 1];
        li->head[node + 1] = (int)li->n++;
    }
}

/* The spans of the placed tensors (with bytes) whose lifetimes overlap a's. */
static int overlapping_spans(const vrt__plan *p, live_index *li, const order_key *order, int q, span *spans) {
    const vrt__tensor_plan *a = &p->t[order[q].idx];
    int ns = 0;
    if (li->head) {
        li->stamp++;
        for (int node = a->first; node <= a->last; node++)
            for (int e = li->head[node + 1]; e >= 0; e = li->next[e]) {
                const vrt__tensor_plan *b = &p->t[li->who[e]];
                if (li->seen[li->who[e]] == li->stamp || !b->bytes) continue;
                li->seen[li->who[e]] = li->stamp;
                spans[ns].off = b->offset, spans[ns].end = b->offset + align_up(b->bytes), ns++;
            }
        return ns;
    }
    for (int r = 0; r < q; r++) {
        const vrt__tensor_plan *b = &p->t[order[r].idx];
        if (a->first <= b->last && b->first <= a->last && b->bytes)
            spans[ns].off = b->offset, spans[ns].end = b->offset + align_up(b->bytes), ns++;
    }
    return ns;
}

/* The offset of order[q]'s tensor: the smallest gap that holds it between the
 * tensors placed before it whose lifetimes overlap its own, else above them
 * all. spans: scratch for q entries. */
static size_t plan_best_fit(const vrt__plan *p, live_index *li, const order_key *order, int q, span *spans) {
    const vrt__tensor_plan *a = &p->t[order[q].idx];
    size_t need = align_up(a->bytes);
    int ns = overlapping_spans(p, li, order, q, spans);
    qsort(spans, (size_t)ns, sizeof(span), cmp_span);
    size_t best = (size_t)-1, best_gap = (size_t)-1, cur = 0;
    for (int s = 0; s < ns; s++) {
        if (spans[s].off > cur) {
            size_t gap = spans[s].off - cur;
            if (gap >= need && gap < best_gap) best = cur, best_gap = gap;
        }
        if (spans[s].end > cur) cur = spans[s].end;
    }
    return best != (size_t)-1 ? best : cur;
}

/* Const region packed (never reused); arena by greedy best fit, largest first. */
static void plan_offsets(const vrt__ir *ir, vrt__plan *p, order_key *order, span *spans) {
    live_index li;
    for (int i = 0; i < ir->n_tensors; i++)
        if (p->t[i].storage == VRT__ST_CONST) {
            p->t[i].offset = p->const_bytes;
            p->const_bytes += align_up(p->t[i].bytes);
        }
    int na = 0;
    for (int i = 0; i < ir->n_tensors; i++)
        if (p->t[i].storage == VRT__ST_ARENA) {
            order[na].bytes = align_up(p->t[i].bytes), order[na].first = p->t[i].first, order[na].idx = i,
            na++;
            p->naive_bytes += align_up(p->t[i].bytes);
        }
    qsort(order, (size_t)na, sizeof(order_key), cmp_order);
    live_init(&li, p, ir->n_nodes, order, na);
    for (int q = 0; q < na; q++) {
        vrt__tensor_plan *a = &p->t[order[q].idx];
        size_t need = align_up(a->bytes);
        a->offset = plan_best_fit(p, &li, order, q, spans);
        if (a->offset + need > p->arena_bytes) p->arena_bytes = a->offset + need;
        if (li.head) live_add(&li, p, order[q].idx);
    }
    live_free(&li);
}

/* Every tensor is bounded at load (core/checked.h); the sums of them are
 * bounded here, before a backend allocates anything. */
static vrt_status plan_check_bounds(const vrt__ir *ir, const vrt__plan *p, char *err, size_t cap) {
    int big = -1;
    for (int i = 0; i < ir->n_tensors; i++)
        if (p->t[i].storage == VRT__ST_ARENA && (big < 0 || p->t[i].bytes > p->t[big].bytes)) big = i;
    if (p->arena_bytes > (size_t)VRT__MAX_ARENA_BYTES || p->const_bytes > (size_t)VRT__MAX_ARENA_BYTES) {
        vrt_errbuf_set(err, cap,
                       "the activations need %zu MiB (largest: '%s', %zu MiB), more than the %lld GiB "
                       "an arena may have; a smaller input size (--height/--width) or batch needs less",
                       (p->arena_bytes > p->const_bytes ? p->arena_bytes : p->const_bytes) >> 20,
                       big >= 0 ? ir->tensors[big].name : "?", big >= 0 ? p->t[big].bytes >> 20 : 0,
                       (long long)(VRT__MAX_ARENA_BYTES >> 30));
        return VRT_ENOMEM;
    }
    return VRT_OK;
}

vrt_status vrt__plan_build(const vrt__ir *ir, vrt__plan **out, char *err, size_t cap) {
    return vrt__plan_build_ex(ir, 0, out, err, cap);
}

vrt_status vrt__plan_build_ex(const vrt__ir *ir, int concat_in_place, vrt__plan **out, char *err,
                              size_t cap) {
    *out = NULL;
    vrt__plan *p = vrt_calloc(1, sizeof(*p));
    if (!p) return VRT_ENOMEM;
    p->n_tensors = ir->n_tensors;
    p->n_nodes = ir->n_nodes;
    p->t = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*p->t));
    p->node_const = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    order_key *order = vrt_malloc(((size_t)ir->n_tensors + 1) * sizeof(order_key));
    span *spans = vrt_malloc(((size_t)ir->n_tensors + 1) * sizeof(span));
    vrt_status st = VRT_OK, bounds = VRT_OK;
    if (!p->t || !p->node_const || !order || !spans) {
        st = VRT_ENOMEM;
    } else {
        plan_sources(ir, p);
        if (!(st = plan_outputs(ir, p, err, cap)) && concat_in_place) st = plan_concat_in_place(ir, p);
        if (!st) {
            plan_lifetimes(ir, p);
            plan_offsets(ir, p, order, spans);
            bounds = st = plan_check_bounds(ir, p, err, cap);
        }
    }
    vrt_free(order);
    vrt_free(spans);
    if (st) {
        vrt__plan_destroy(&p);
        if (st == VRT_ENOMEM && !bounds) vrt_errbuf_set(err, cap, "out of memory while planning");
        return st;
    }
    *out = p;
    return VRT_OK;
}
