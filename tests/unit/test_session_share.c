/* Session weight sharing and batching on the CPU backend:
 * - two sessions over one model: the second allocates none of the weights
 *   (bytes counted through the allocator hooks), both report 2 users, and
 *   each gives the right class for every image while both run at the same
 *   time from two threads (rotating images, own arenas); destroying the
 *   owner first leaves the other working; no allocation per frame.
 * - batch = 3: one submission of three different images gives, per
 *   position, the results of three batch-1 runs; no allocation per batch. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "session_test_util.h"

#include "vrt/engine.h"

#define MODEL "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"

static const char *profile_path(void) {
    static char p[1024];
    snprintf(p, sizeof(p), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    return p;
}

/* Summing allocator: bytes asked for while installed (libc underneath, so
 * memory crosses hook changes freely). */
static _Atomic size_t g_bytes;
static void *sum_malloc(void *u, size_t n) {
    (void)u;
    atomic_fetch_add(&g_bytes, n);
    return malloc(n);
}
static void *sum_realloc(void *u, void *p, size_t n) {
    (void)u;
    atomic_fetch_add(&g_bytes, n);
    return realloc(p, n);
}
static void sum_free(void *u, void *p) {
    (void)u;
    free(p);
}
static const vrt_allocator g_sum = {sum_malloc, sum_realloc, sum_free, NULL};

static vrt_session_t *open_session(const char *model, vrt_session_t *share, int batch, size_t *bytes) {
    char err[512];
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.threads = 1;
    p.width = 320;
    p.height = 240;
    p.share_weights = share;
    p.batch = batch;
    vrt_session_t *s = NULL;
    atomic_store(&g_bytes, 0);
    vrt_set_allocator(&g_sum);
    vrt_status st = vrt_session_open(model, profile_path(), NULL, &p, &s, err, sizeof(err));
    vrt_set_allocator(NULL);
    if (bytes) *bytes = atomic_load(&g_bytes);
    if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
    return s;
}

typedef struct worker {
    vrt_session_t *s;
    vrt_frame **img;
    int first, iters;
    int wrong, errors;
    int top1[16];
} worker;

static void *work(void *arg) {
    worker *w = arg;
    for (int i = 0; i < w->iters; i++) {
        int k = (w->first + i) % 3;
        st_res r;
        if (st_run(w->s, w->img[k], &r) != VRT_OK) {
            w->errors++;
            continue;
        }
        w->top1[i] = r.cls.count ? r.cls.index[0] : -1;
        if (w->top1[i] != st_top1[k]) w->wrong++;
    }
    return NULL;
}

TEST(two_sessions_share_weights) {
    const char *model = vrt_test_data_or_skip(MODEL);
    vrt_frame *img[3];
    for (int i = 0; i < 3; i++)
        img[i] = st_load_frame(st_images[i], VRT_FMT_YUYV, 320, 240);
    size_t ba = 0, bb = 0;
    vrt_session_t *a = open_session(model, NULL, 1, &ba);
    vrt_session_t *b = open_session(model, a, 1, &bb);
    vrt_session_info ia, ib;
    vrt_session_get_info(a, &ia);
    vrt_session_get_info(b, &ib);
    ASSERT_EQ(ia.weight_users, 2);
    ASSERT_EQ(ib.weight_users, 2);
    ASSERT_EQ(ia.weights_shared, 0);
    ASSERT_EQ(ib.weights_shared, 1);
    ASSERT_TRUE(ia.weight_bytes > 1000000); /* SqueezeNet: ~1.2 M parameters */
    /* The second session allocated at least the weights' size less: the IR's
     * fp16 arrays and their fp32 copies exist once. */
    ASSERT_TRUE(bb + ia.weight_bytes < ba);
    printf("bytes allocated by open: owner %zu, sharer %zu; weights %zu\n", ba, bb, ia.weight_bytes);

    /* Both at once, rotating images in different orders. */
    worker wa = {a, img, 0, 9, 0, 0, {0}}, wb = {b, img, 2, 9, 0, 0, {0}};
    pthread_t ta, tb;
    ASSERT_EQ(pthread_create(&ta, NULL, work, &wa), 0);
    ASSERT_EQ(pthread_create(&tb, NULL, work, &wb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ASSERT_EQ(wa.errors + wb.errors, 0);
    ASSERT_EQ(wa.wrong, 0);
    ASSERT_EQ(wb.wrong, 0);

    /* Steady state allocates nothing, on either session. */
    st_res r;
    vrt_alloc_counting_begin();
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(st_run(a, img[i], &r));
        ASSERT_OK(st_run(b, img[(i + 1) % 3], &r));
    }
    vrt_alloc_stats as = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(as.allocs, 0);

    /* The owner goes first: the borrower keeps the weights alive. */
    vrt_session_destroy(&a);
    vrt_session_get_info(b, &ib);
    ASSERT_EQ(ib.weight_users, 1);
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(st_run(b, img[i], &r));
        ASSERT_EQ(r.cls.index[0], st_top1[i]);
    }
    /* A third session borrows through the borrower. */
    vrt_session_t *c = open_session(model, b, 1, NULL);
    vrt_session_get_info(c, &ib);
    ASSERT_EQ(ib.weight_users, 2);
    ASSERT_OK(st_run(c, img[2], &r));
    ASSERT_EQ(r.cls.index[0], st_top1[2]);
    vrt_session_destroy(&b);
    ASSERT_OK(st_run(c, img[1], &r));
    ASSERT_EQ(r.cls.index[0], st_top1[1]);
    vrt_session_destroy(&c);
    for (int i = 0; i < 3; i++)
        vrt_frame_unref(&img[i]);
}

TEST(batch_equals_unbatched) {
    const char *model = vrt_test_data_or_skip(MODEL);
    vrt_frame *img[3];
    for (int i = 0; i < 3; i++) {
        img[i] = st_load_frame(st_images[i], VRT_FMT_YUYV, 320, 240);
        img[i]->sequence = 100 + (uint64_t)i;
    }
    vrt_session_t *one = open_session(model, NULL, 1, NULL);
    vrt_session_t *bat = open_session(model, NULL, 3, NULL);
    vrt_session_info info;
    vrt_session_get_info(bat, &info);
    ASSERT_EQ(info.batch, 3);
    st_res ref[3], r[3];
    for (int i = 0; i < 3; i++)
        ASSERT_OK(st_run(one, img[i], &ref[i]));
    /* Two rounds with the images in different positions. */
    for (int round = 0; round < 2; round++) {
        const vrt_frame *fr[3];
        int order[3];
        for (int k = 0; k < 3; k++)
            order[k] = (k + round) % 3, fr[k] = img[order[k]];
        ASSERT_OK(vrt_session_submit_batch(bat, round, fr, 3));
        int n = 0;
        ASSERT_OK(st_wait_batch(bat, round, r, &n));
        ASSERT_EQ(n, 3);
        for (int k = 0; k < 3; k++) {
            const st_res *e = &ref[order[k]];
            ASSERT_EQ(r[k].sequence, 100 + (uint64_t)order[k]);
            ASSERT_EQ(r[k].cls.count, e->cls.count);
            ASSERT_EQ(r[k].cls.index[0], st_top1[order[k]]);
            for (int j = 0; j < e->cls.count; j++) {
                ASSERT_EQ(r[k].cls.index[j], e->cls.index[j]);
                ASSERT_NEAR(r[k].cls.score[j], e->cls.score[j], 1e-5);
            }
        }
    }
    /* A partial batch (2 of 3) returns two results; no allocation per batch. */
    const vrt_frame *two[2] = {img[2], img[0]};
    vrt_alloc_counting_begin();
    vrt_status st = vrt_session_submit_batch(bat, 0, two, 2);
    int n = 0;
    if (!st) st = st_wait_batch(bat, 0, r, &n);
    vrt_alloc_stats as = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_OK(st);
    ASSERT_EQ(as.allocs, 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(r[0].cls.index[0], st_top1[2]);
    ASSERT_EQ(r[1].cls.index[0], st_top1[0]);
    /* Errors: too many frames, sharing across different batch sizes. */
    const vrt_frame *four[4] = {img[0], img[1], img[2], img[0]};
    ASSERT_STATUS(vrt_session_submit_batch(bat, 0, four, 4), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_session_last_error(bat), "1..3");
    char err[512];
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.width = 320;
    p.height = 240;
    p.share_weights = bat;
    vrt_session_t *x = NULL;
    ASSERT_STATUS(vrt_session_open(model, profile_path(), NULL, &p, &x, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "batch");
    p.share_weights = NULL;
    p.batch = VRT_SESSION_MAX_BATCH + 1;
    ASSERT_STATUS(vrt_session_open(model, profile_path(), NULL, &p, &x, err, sizeof(err)), VRT_EINVAL);
    vrt_session_destroy(&one);
    vrt_session_destroy(&bat);
    for (int i = 0; i < 3; i++)
        vrt_frame_unref(&img[i]);
}

int main(void) {
    (void)st_fill_slot;
    (void)st_check_dog;
    VRT_RUN(two_sessions_share_weights);
    VRT_RUN(batch_equals_unbatched);
    return vrt_test_finish();
}
