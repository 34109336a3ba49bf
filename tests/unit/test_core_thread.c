#include "harness.h"
#include "vrt/core.h"
#include "vrt/thread.h"

#include <pthread.h>

#define P(i) ((void *)(uintptr_t)(i))
#define U(p) ((uintptr_t)(p))

/* ---- queue -------------------------------------------------------------- */

TEST(queue_fifo_full_empty_timeouts) {
    vrt_queue_t *q = NULL;
    ASSERT_STATUS(vrt_queue_create(&q, 0), VRT_EINVAL);
    ASSERT_TRUE(q == NULL);
    ASSERT_OK(vrt_queue_create(&q, 4));
    ASSERT_EQ(vrt_queue_capacity(q), 4);
    /* Wrap around the ring a few times. */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3; i++)
            ASSERT_OK(vrt_queue_push(q, P(10 * round + i), 0));
        ASSERT_EQ(vrt_queue_count(q), 3);
        for (int i = 0; i < 3; i++) {
            void *it;
            ASSERT_OK(vrt_queue_pop(q, &it, 0));
            ASSERT_EQ(U(it), 10 * round + i);
        }
    }
    for (int i = 0; i < 4; i++)
        ASSERT_OK(vrt_queue_push(q, P(i), -1));
    ASSERT_STATUS(vrt_queue_push(q, NULL, 0), VRT_EAGAIN);
    int64_t t0 = vrt_now_ns();
    ASSERT_STATUS(vrt_queue_push(q, P(99), 30), VRT_EAGAIN);
    int64_t dt = vrt_now_ns() - t0;
    ASSERT_TRUE(dt >= 30000000 && dt < 2000000000);
    ASSERT_EQ(vrt_queue_count(q), 4);
    void *it = P(1);
    for (int i = 0; i < 4; i++) {
        ASSERT_OK(vrt_queue_pop(q, &it, 0));
        ASSERT_EQ(U(it), i);
    }
    it = P(1);
    ASSERT_STATUS(vrt_queue_pop(q, &it, 0), VRT_EAGAIN);
    ASSERT_TRUE(it == NULL);
    t0 = vrt_now_ns();
    ASSERT_STATUS(vrt_queue_pop(q, &it, 25), VRT_EAGAIN);
    dt = vrt_now_ns() - t0;
    ASSERT_TRUE(dt >= 25000000 && dt < 2000000000);
    /* NULL is a valid item. */
    ASSERT_OK(vrt_queue_push(q, NULL, 0));
    it = P(1);
    ASSERT_OK(vrt_queue_pop(q, &it, 0));
    ASSERT_TRUE(it == NULL);
    vrt_queue_destroy(&q);
    ASSERT_TRUE(q == NULL);
    vrt_queue_destroy(&q); /* NULL-safe */
}

#define STRESS_PRODUCERS 2
#define STRESS_CONSUMERS 2
#define STRESS_PER_PRODUCER 50000

typedef struct consumer_ctx {
    vrt_queue_t *q;
    uint64_t received, sum;
    uint32_t last_seq[STRESS_PRODUCERS]; /* last seq + 1 seen from each producer */
    int order_errors;
} consumer_ctx;

typedef struct producer_ctx {
    vrt_queue_t *q;
    int id;
    int errors;
} producer_ctx;

static void *producer_main(void *arg) {
    producer_ctx *p = arg;
    for (uint32_t s = 0; s < STRESS_PER_PRODUCER; s++) {
        /* Item: producer id in the top bits, sequence number + 1 below (never NULL). */
        uintptr_t v = ((uintptr_t)p->id << 24) | (s + 1);
        vrt_status st;
        do {
            st = vrt_queue_push(p->q, P(v), (s & 1) ? 5 : -1);
        } while (st == VRT_EAGAIN);
        if (st != VRT_OK) p->errors++;
    }
    return NULL;
}

static void *consumer_main(void *arg) {
    consumer_ctx *c = arg;
    for (;;) {
        void *it;
        vrt_status st = vrt_queue_pop(c->q, &it, (c->received & 1) ? 3 : -1);
        if (st == VRT_EAGAIN) continue;
        if (st == VRT_EOF) break;
        if (st != VRT_OK) {
            c->order_errors++;
            break;
        }
        uintptr_t v = U(it);
        int id = (int)(v >> 24);
        uint32_t seq = (uint32_t)(v & 0xFFFFFF);
        if (id < 0 || id >= STRESS_PRODUCERS || seq <= c->last_seq[id])
            c->order_errors++;
        else
            c->last_seq[id] = seq;
        c->received++;
        c->sum += v;
    }
    return NULL;
}

TEST(queue_stress_no_loss_per_producer_order) {
    vrt_queue_t *q;
    ASSERT_OK(vrt_queue_create(&q, 64));
    pthread_t pt[STRESS_PRODUCERS], ct[STRESS_CONSUMERS];
    producer_ctx pc[STRESS_PRODUCERS];
    consumer_ctx cc[STRESS_CONSUMERS];
    memset(cc, 0, sizeof cc);
    for (int i = 0; i < STRESS_CONSUMERS; i++) {
        cc[i].q = q;
        ASSERT_EQ(pthread_create(&ct[i], NULL, consumer_main, &cc[i]), 0);
    }
    for (int i = 0; i < STRESS_PRODUCERS; i++) {
        pc[i] = (producer_ctx){q, i, 0};
        ASSERT_EQ(pthread_create(&pt[i], NULL, producer_main, &pc[i]), 0);
    }
    for (int i = 0; i < STRESS_PRODUCERS; i++)
        pthread_join(pt[i], NULL);
    vrt_queue_close(q); /* consumers drain what is left, then see VRT_EOF */
    for (int i = 0; i < STRESS_CONSUMERS; i++)
        pthread_join(ct[i], NULL);

    uint64_t total = 0, sum = 0, want_sum = 0;
    for (int i = 0; i < STRESS_CONSUMERS; i++) {
        ASSERT_EQ(cc[i].order_errors, 0);
        total += cc[i].received;
        sum += cc[i].sum;
    }
    for (int i = 0; i < STRESS_PRODUCERS; i++) {
        ASSERT_EQ(pc[i].errors, 0);
        for (uint64_t s = 1; s <= STRESS_PER_PRODUCER; s++)
            want_sum += ((uint64_t)i << 24) | s;
    }
    ASSERT_EQ(total, (uint64_t)STRESS_PRODUCERS * STRESS_PER_PRODUCER);
    ASSERT_EQ(sum, want_sum);
    ASSERT_EQ(vrt_queue_count(q), 0);
    vrt_queue_destroy(&q);
}

typedef struct waiter_ctx {
    vrt_queue_t *q;
    vrt_slot_t *s;
    vrt_status st;
    void *item;
} waiter_ctx;

static void *queue_pop_waiter(void *arg) {
    waiter_ctx *w = arg;
    w->st = vrt_queue_pop(w->q, &w->item, -1);
    return NULL;
}
static void *queue_push_waiter(void *arg) {
    waiter_ctx *w = arg;
    w->st = vrt_queue_push(w->q, P(77), -1);
    return NULL;
}

TEST(queue_close_wakes_waiters_and_drains) {
    vrt_queue_t *q;
    ASSERT_OK(vrt_queue_create(&q, 1));
    waiter_ctx w = {q, NULL, VRT_OK, P(1)};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, queue_pop_waiter, &w), 0);
    vrt_sleep_ns(20000000);
    vrt_queue_close(q);
    pthread_join(t, NULL);
    ASSERT_STATUS(w.st, VRT_EOF);
    ASSERT_TRUE(w.item == NULL);
    ASSERT_TRUE(vrt_queue_is_closed(q));
    vrt_queue_destroy(&q);

    /* A producer blocked on a full queue gets VRT_ECANCELED; the item inside still drains. */
    ASSERT_OK(vrt_queue_create(&q, 1));
    ASSERT_OK(vrt_queue_push(q, P(5), 0));
    w = (waiter_ctx){q, NULL, VRT_OK, NULL};
    ASSERT_EQ(pthread_create(&t, NULL, queue_push_waiter, &w), 0);
    vrt_sleep_ns(20000000);
    vrt_queue_close(q);
    pthread_join(t, NULL);
    ASSERT_STATUS(w.st, VRT_ECANCELED);
    ASSERT_STATUS(vrt_queue_push(q, P(6), 0), VRT_ECANCELED);
    void *it;
    ASSERT_OK(vrt_queue_pop(q, &it, 0));
    ASSERT_EQ(U(it), 5);
    ASSERT_STATUS(vrt_queue_pop(q, &it, 100), VRT_EOF);
    vrt_queue_destroy(&q);
}

/* ---- slot --------------------------------------------------------------- */

TEST(slot_keeps_newest_and_returns_displaced) {
    vrt_slot_t *s = NULL;
    ASSERT_OK(vrt_slot_create(&s));
    void *old = P(1), *it = P(1);
    ASSERT_OK(vrt_slot_put(s, P(10), &old));
    ASSERT_TRUE(old == NULL);
    ASSERT_OK(vrt_slot_put(s, P(11), &old));
    ASSERT_EQ(U(old), 10);
    ASSERT_STATUS(vrt_slot_put(s, P(12), NULL), VRT_EINVAL); /* would leak 11 */
    ASSERT_OK(vrt_slot_put(s, P(12), &old));
    ASSERT_EQ(U(old), 11);
    ASSERT_STATUS(vrt_slot_put(s, NULL, &old), VRT_EINVAL);
    ASSERT_OK(vrt_slot_take(s, &it, 0));
    ASSERT_EQ(U(it), 12);
    ASSERT_STATUS(vrt_slot_take(s, &it, 0), VRT_EAGAIN);
    ASSERT_TRUE(it == NULL);
    int64_t t0 = vrt_now_ns();
    ASSERT_STATUS(vrt_slot_take(s, &it, 30), VRT_EAGAIN);
    int64_t dt = vrt_now_ns() - t0;
    ASSERT_TRUE(dt >= 30000000 && dt < 2000000000);
    ASSERT_OK(vrt_slot_put(s, P(13), NULL)); /* empty: NULL displaced is fine */
    vrt_slot_stats st = vrt_slot_get_stats(s);
    ASSERT_EQ(st.puts, 4);
    ASSERT_EQ(st.takes, 1);
    ASSERT_EQ(st.displaced, 2);
    /* Close: the item inside still drains, then VRT_EOF; puts are refused. */
    vrt_slot_close(s);
    vrt_slot_close(s); /* idempotent */
    ASSERT_TRUE(vrt_slot_is_closed(s));
    ASSERT_STATUS(vrt_slot_put(s, P(14), &old), VRT_ECANCELED);
    ASSERT_TRUE(old == NULL);
    ASSERT_OK(vrt_slot_take(s, &it, 0));
    ASSERT_EQ(U(it), 13);
    ASSERT_STATUS(vrt_slot_take(s, &it, -1), VRT_EOF);
    vrt_slot_destroy(&s);
    ASSERT_TRUE(s == NULL);
    vrt_slot_destroy(&s);
}

static void *slot_take_waiter(void *arg) {
    waiter_ctx *w = arg;
    w->st = vrt_slot_take(w->s, &w->item, -1);
    return NULL;
}

TEST(slot_wakes_on_put_and_on_close) {
    vrt_slot_t *s;
    ASSERT_OK(vrt_slot_create(&s));
    waiter_ctx w = {NULL, s, VRT_EIO, NULL};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, slot_take_waiter, &w), 0);
    vrt_sleep_ns(20000000);
    void *old;
    ASSERT_OK(vrt_slot_put(s, P(42), &old));
    pthread_join(t, NULL);
    ASSERT_OK(w.st);
    ASSERT_EQ(U(w.item), 42);

    w = (waiter_ctx){NULL, s, VRT_OK, P(1)};
    ASSERT_EQ(pthread_create(&t, NULL, slot_take_waiter, &w), 0);
    vrt_sleep_ns(20000000);
    vrt_slot_close(s);
    pthread_join(t, NULL);
    ASSERT_STATUS(w.st, VRT_EOF);
    ASSERT_TRUE(w.item == NULL);
    vrt_slot_destroy(&s);
}

#define SLOT_PUTS 100000

typedef struct slot_consumer {
    vrt_slot_t *s;
    unsigned char *seen; /* index i: item i+1 taken (count) */
    uint64_t taken;
    int errors;
} slot_consumer;

static void *slot_consumer_main(void *arg) {
    slot_consumer *c = arg;
    uintptr_t last = 0;
    for (;;) {
        void *it;
        vrt_status st = vrt_slot_take(c->s, &it, 5);
        if (st == VRT_EAGAIN) continue;
        if (st == VRT_EOF) break;
        uintptr_t v = U(it);
        /* Newest-first hand-off: values only ever increase. */
        if (st != VRT_OK || v == 0 || v > SLOT_PUTS || v <= last) {
            c->errors++;
            continue;
        }
        last = v;
        c->seen[v - 1]++;
        c->taken++;
    }
    return NULL;
}

TEST(slot_stress_every_put_taken_or_displaced_once) {
    vrt_slot_t *s;
    ASSERT_OK(vrt_slot_create(&s));
    unsigned char *seen = calloc(SLOT_PUTS, 1), *dropped = calloc(SLOT_PUTS, 1);
    ASSERT_TRUE(seen && dropped);
    slot_consumer c = {s, seen, 0, 0};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, slot_consumer_main, &c), 0);
    uint64_t ndisplaced = 0;
    for (uintptr_t i = 1; i <= SLOT_PUTS; i++) {
        void *old;
        if (vrt_slot_put(s, P(i), &old) != VRT_OK)
            vrt_test_fail(__FILE__, __LINE__, "put %zu failed", (size_t)i);
        if (old) {
            /* The displaced item is always the previous put: nothing older can still be inside. */
            if (U(old) != i - 1)
                vrt_test_fail(__FILE__, __LINE__, "put %zu displaced %zu", (size_t)i, (size_t)U(old));
            dropped[U(old) - 1]++;
            ndisplaced++;
        }
        if ((i & 1023) == 0) sched_yield();
    }
    /* Wait until the consumer took the last one: the slot always ends with the newest. */
    int64_t deadline = vrt_now_ns() + 5000000000LL;
    while (vrt_slot_get_stats(s).takes + ndisplaced < SLOT_PUTS && vrt_now_ns() < deadline)
        vrt_sleep_ns(1000000);
    vrt_slot_close(s);
    pthread_join(t, NULL);
    ASSERT_EQ(c.errors, 0);
    ASSERT_EQ(seen[SLOT_PUTS - 1], 1); /* the newest was delivered */
    for (size_t i = 0; i < SLOT_PUTS; i++)
        if (seen[i] + dropped[i] != 1)
            vrt_test_fail(__FILE__, __LINE__, "item %zu: taken %d, displaced %d", i + 1, seen[i], dropped[i]);
    vrt_slot_stats st = vrt_slot_get_stats(s);
    ASSERT_EQ(st.puts, SLOT_PUTS);
    ASSERT_EQ(st.takes, c.taken);
    ASSERT_EQ(st.displaced, ndisplaced);
    ASSERT_EQ(c.taken + ndisplaced, SLOT_PUTS);
    ASSERT_TRUE(c.taken > 0);
    free(seen);
    free(dropped);
    vrt_slot_destroy(&s);
}

TEST(create_failure_and_no_alloc_after_create) {
    vrt_alloc_counting_begin();
    vrt_alloc_counting_fail_at(1);
    vrt_queue_t *q = P(1);
    ASSERT_STATUS(vrt_queue_create(&q, 8), VRT_ENOMEM);
    ASSERT_TRUE(q == NULL);
    vrt_alloc_counting_fail_at(2); /* the ring */
    ASSERT_STATUS(vrt_queue_create(&q, 8), VRT_ENOMEM);
    vrt_slot_t *s = P(1);
    vrt_alloc_counting_fail_at(1);
    ASSERT_STATUS(vrt_slot_create(&s), VRT_ENOMEM);
    ASSERT_TRUE(s == NULL);
    vrt_alloc_counting_fail_at(0);
    ASSERT_OK(vrt_queue_create(&q, 8));
    ASSERT_OK(vrt_slot_create(&s));
    uint64_t before = vrt_alloc_counting_stats().allocs;
    void *it, *old;
    for (int i = 1; i < 100; i++) {
        vrt_queue_push(q, P(i), 0);
        vrt_queue_pop(q, &it, 0);
        vrt_slot_put(s, P(i), &old);
        vrt_slot_take(s, &it, 0);
    }
    ASSERT_EQ(vrt_alloc_counting_stats().allocs, before);
    vrt_queue_destroy(&q);
    vrt_slot_destroy(&s);
    vrt_alloc_stats a = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(a.frees, 4); /* the create whose ring failed freed its struct; then queue, ring, slot */
}

int main(void) {
    VRT_RUN(queue_fifo_full_empty_timeouts);
    VRT_RUN(queue_stress_no_loss_per_producer_order);
    VRT_RUN(queue_close_wakes_waiters_and_drains);
    VRT_RUN(slot_keeps_newest_and_returns_displaced);
    VRT_RUN(slot_wakes_on_put_and_on_close);
    VRT_RUN(slot_stress_every_put_taken_or_displaced_once);
    VRT_RUN(create_failure_and_no_alloc_after_create);
    return vrt_test_finish();
}
