#include "vrt/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- shared helpers ---------------------------------------------------- */

/* Conditions wait on CLOCK_MONOTONIC so that wall-clock steps neither cut
 * nor stretch a timeout. */
static int cond_init_monotonic(pthread_cond_t *c) {
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) rc = pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

static struct timespec deadline_after_ms(int timeout_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* One wait step under the mutex. Returns 0 to re-check the condition, or -1
 * when the timeout has passed (timeout_ms == 0 passes at once). */
static int wait_step(pthread_cond_t *c, pthread_mutex_t *m, int timeout_ms, const struct timespec *deadline) {
    if (timeout_ms == 0) return -1;
    if (timeout_ms < 0) {
        pthread_cond_wait(c, m);
        return 0;
    }
    return pthread_cond_timedwait(c, m, deadline) == ETIMEDOUT ? -1 : 0;
}

/* ---- latest-value slot ------------------------------------------------- */

struct vrt_slot {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void *item; /* NULL: empty */
    int closed;
    vrt_slot_stats stats;
};

vrt_status vrt_slot_create(vrt_slot_t **out) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    vrt_slot_t *s = vrt_calloc(1, sizeof(*s));
    if (!s) return VRT_ENOMEM;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        vrt_free(s);
        return VRT_EIO;
    }
    if (cond_init_monotonic(&s->cv) != 0) {
        pthread_mutex_destroy(&s->mu);
        vrt_free(s);
        return VRT_EIO;
    }
    *out = s;
    return VRT_OK;
}

void vrt_slot_destroy(vrt_slot_t **sp) {
    if (!sp || !*sp) return;
    vrt_slot_t *s = *sp;
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    vrt_free(s);
    *sp = NULL;
}

vrt_status vrt_slot_put(vrt_slot_t *s, void *item, void **displaced) {
    if (displaced) *displaced = NULL;
    if (!item) return VRT_EINVAL;
    pthread_mutex_lock(&s->mu);
    if (s->closed) {
        pthread_mutex_unlock(&s->mu);
        return VRT_ECANCELED;
    }
    void *old = s->item;
    if (old && !displaced) {
        /* Nowhere to hand the old item back: refuse rather than leak it. */
        pthread_mutex_unlock(&s->mu);
        return VRT_EINVAL;
    }
    s->item = item;
    s->stats.puts++;
    if (old) s->stats.displaced++;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (displaced) *displaced = old;
    return VRT_OK;
}

vrt_status vrt_slot_take(vrt_slot_t *s, void **item, int timeout_ms) {
    *item = NULL;
    struct timespec deadline = {0, 0};
    if (timeout_ms > 0) deadline = deadline_after_ms(timeout_ms);
    vrt_status st = VRT_OK;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->item) {
            *item = s->item;
            s->item = NULL;
            s->stats.takes++;
            break;
        }
        if (s->closed) {
            st = VRT_EOF;
            break;
        }
        if (wait_step(&s->cv, &s->mu, timeout_ms, &deadline) < 0) {
            st = VRT_EAGAIN;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

void vrt_slot_close(vrt_slot_t *s) {
    pthread_mutex_lock(&s->mu);
    s->closed = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int vrt_slot_is_closed(vrt_slot_t *s) {
    pthread_mutex_lock(&s->mu);
    int c = s->closed;
    pthread_mutex_unlock(&s->mu);
    return c;
}

vrt_slot_stats vrt_slot_get_stats(vrt_slot_t *s) {
    pthread_mutex_lock(&s->mu);
    vrt_slot_stats st = s->stats;
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- bounded queue ------------------------------------------------------ */

struct vrt_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void **ring;
    size_t cap, head, count; /* items at ring[(head + i) % cap], i < count */
    int closed;
};

vrt_status vrt_queue_create(vrt_queue_t **out, size_t capacity) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (capacity == 0) return VRT_EINVAL;
    vrt_queue_t *q = vrt_calloc(1, sizeof(*q));
    if (!q) return VRT_ENOMEM;
    q->ring = vrt_calloc(capacity, sizeof(void *));
    if (!q->ring) {
        vrt_free(q);
        return VRT_ENOMEM;
    }
    q->cap = capacity;
    if (pthread_mutex_init(&q->mu, NULL) != 0) goto fail_mu;
    if (cond_init_monotonic(&q->not_empty) != 0) goto fail_ne;
    if (cond_init_monotonic(&q->not_full) != 0) goto fail_nf;
    *out = q;
    return VRT_OK;
fail_nf:
    pthread_cond_destroy(&q->not_empty);
fail_ne:
    pthread_mutex_destroy(&q->mu);
fail_mu:
    vrt_free(q->ring);
    vrt_free(q);
    return VRT_EIO;
}

void vrt_queue_destroy(vrt_queue_t **qp) {
    if (!qp || !*qp) return;
    vrt_queue_t *q = *qp;
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->mu);
    vrt_free(q->ring);
    vrt_free(q);
    *qp = NULL;
}

vrt_status vrt_queue_push(vrt_queue_t *q, void *item, int timeout_ms) {
    struct timespec deadline = {0, 0};
    if (timeout_ms > 0) deadline = deadline_after_ms(timeout_ms);
    vrt_status st = VRT_OK;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->closed) {
            st = VRT_ECANCELED;
            break;
        }
        if (q->count < q->cap) {
            q->ring[(q->head + q->count) % q->cap] = item;
            q->count++;
            pthread_cond_signal(&q->not_empty);
            break;
        }
        if (wait_step(&q->not_full, &q->mu, timeout_ms, &deadline) < 0) {
            st = VRT_EAGAIN;
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return st;
}

vrt_status vrt_queue_pop(vrt_queue_t *q, void **item, int timeout_ms) {
    *item = NULL;
    struct timespec deadline = {0, 0};
    if (timeout_ms > 0) deadline = deadline_after_ms(timeout_ms);
    vrt_status st = VRT_OK;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->count > 0) {
            *item = q->ring[q->head];
            q->ring[q->head] = NULL;
            q->head = (q->head + 1) % q->cap;
            q->count--;
            pthread_cond_signal(&q->not_full);
            break;
        }
        if (q->closed) {
            st = VRT_EOF;
            break;
        }
        if (wait_step(&q->not_empty, &q->mu, timeout_ms, &deadline) < 0) {
            st = VRT_EAGAIN;
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return st;
}

void vrt_queue_close(vrt_queue_t *q) {
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

int vrt_queue_is_closed(vrt_queue_t *q) {
    pthread_mutex_lock(&q->mu);
    int c = q->closed;
    pthread_mutex_unlock(&q->mu);
    return c;
}

size_t vrt_queue_count(vrt_queue_t *q) {
    pthread_mutex_lock(&q->mu);
    size_t n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t vrt_queue_capacity(const vrt_queue_t *q) {
    return q->cap;
}

/* ---- scheduling priority ------------------------------------------------ */

int vrt_priority_parse(const char *s) {
    if (!s) return -1;
    if (!strcasecmp(s, "normal")) return VRT_PRIORITY_NORMAL;
    if (!strcasecmp(s, "high")) return VRT_PRIORITY_HIGH;
    return -1;
}

const char *vrt_priority_name(vrt_priority p) {
    return p == VRT_PRIORITY_NORMAL ? "normal" : p == VRT_PRIORITY_HIGH ? "high" : NULL;
}

vrt_status vrt_thread_set_priority(vrt_priority p, char *err, size_t cap) {
    if (p == VRT_PRIORITY_NORMAL) return VRT_OK;
    if (p != VRT_PRIORITY_HIGH) {
        vrt_errbuf_set(err, cap, "priority %d unknown; use VRT_PRIORITY_NORMAL or VRT_PRIORITY_HIGH", (int)p);
        return VRT_EINVAL;
    }
    /* Linux keeps a nice value per thread: PRIO_PROCESS with the thread id
     * changes this thread only. */
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, tid);
    if (!errno && cur <= VRT_PRIORITY_HIGH_NICE) return VRT_OK;
    if (setpriority(PRIO_PROCESS, tid, VRT_PRIORITY_HIGH_NICE) == 0) return VRT_OK;
    int e = errno;
    struct rlimit rl;
    char lim[32] = "unknown";
    if (getrlimit(RLIMIT_NICE, &rl) == 0) snprintf(lim, sizeof(lim), "%llu", (unsigned long long)rl.rlim_cur);
    vrt_errbuf_set(err, cap,
                   "cannot raise the thread's CPU priority to nice %d (%s): that needs CAP_SYS_NICE or an "
                   "RLIMIT_NICE of at least %d (ulimit -e; it is %s here)",
                   VRT_PRIORITY_HIGH_NICE, strerror(e), 20 - VRT_PRIORITY_HIGH_NICE, lim);
    return e == EPERM || e == EACCES ? VRT_EPERM : vrt_status_from_errno(e);
}
