/* mqtt.c - mqtt://HOST[:PORT]/TOPIC[?qos=0|1]: each result one JSON message
 * (the JSON-lines schema of vrt_sink_json_result) through libmosquitto, and
 * the summary as the last message.
 *
 * open() connects and waits for the broker's CONNACK, so an unreachable
 * broker fails before the run with its reason. libmosquitto's own thread
 * (mosquitto_loop_start) then keeps the connection: when the broker goes
 * away it reconnects with exponential back-off (1 s doubling to 16 s). While
 * no connection is up, results are not queued: each one is counted as lost
 * (the summary's "lost" for this sink), and delivery resumes with the first
 * result after the reconnection. The sink's thread formats and hands the
 * message to libmosquitto; it never waits for the network. */
#include "sink-impl.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef VRT_HAVE_MQTT
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <mosquitto.h>

#define MQTT_DEPTH 64 /* results that may wait: a message takes microseconds, only a stall drops */
#define MSG_CAP (1 << 16)

typedef struct mqtt {
    char name[300];
    char host[256];
    char topic[256];
    int port, qos;
    struct mosquitto *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int answered, refused; /* the first CONNACK (under mu) */
    _Atomic int connected;
    _Atomic uint64_t lost, published, connects;
    int loop_started;
    char msg[MSG_CAP];
} mqtt;

static pthread_once_t g_mosq_once = PTHREAD_ONCE_INIT;
static void mosq_init(void) {
    mosquitto_lib_init(); /* process-wide, once; never cleaned up (other users may exist) */
}

static void on_connect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    mqtt *q = obj;
    if (rc == 0) {
        atomic_store(&q->connected, 1);
        atomic_fetch_add(&q->connects, 1);
    }
    pthread_mutex_lock(&q->mu);
    if (!q->answered) q->refused = rc;
    q->answered = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m, (void)rc;
    atomic_store(&((mqtt *)obj)->connected, 0);
}

static void send_msg(mqtt *q, const char *msg, size_t n) {
    if (!atomic_load(&q->connected) ||
        mosquitto_publish(q->m, NULL, q->topic, (int)n, msg, q->qos, false) != MOSQ_ERR_SUCCESS) {
        atomic_fetch_add(&q->lost, 1);
        return;
    }
    atomic_fetch_add(&q->published, 1);
}

static void mqtt_write(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r) {
    mqtt *q = ctx;
    if (!atomic_load(&q->connected)) { /* the broker is away: counted, not queued */
        atomic_fetch_add(&q->lost, 1);
        return;
    }
    vrt_json w;
    vrt_json_init_buffer(&w, q->msg, sizeof(q->msg));
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_sink_json_result(p, r, &w);
    if (vrt_json_finish(&w) != VRT_OK) {
        atomic_fetch_add(&q->lost, 1);
        return;
    }
    send_msg(q, q->msg, vrt_json_length(&w));
}

static vrt_status mqtt_finish(void *ctx, vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap) {
    (void)err, (void)cap;
    mqtt *q = ctx;
    vrt_json w;
    vrt_json_init_buffer(&w, q->msg, sizeof(q->msg));
    vrt_json_set_float_mode(&w, VRT_JSON_FLOAT_G6);
    vrt_sink_json_summary(p, stopped_by, &w);
    if (vrt_json_finish(&w) == VRT_OK && atomic_load(&q->connected))
        mosquitto_publish(q->m, NULL, q->topic, (int)vrt_json_length(&w), q->msg, q->qos, false);
    return VRT_OK; /* a broker that went away is reported as lost messages, not as a failed run */
}

static void mqtt_stats(void *ctx, vrt_pipeline_output_stats *st) {
    mqtt *q = ctx;
    st->lost = atomic_load(&q->lost);
    snprintf(st->detail, sizeof(st->detail), "%s, %llu published, %llu connections (QoS %d)",
             atomic_load(&q->connected) ? "connected" : "broker away",
             (unsigned long long)atomic_load(&q->published), (unsigned long long)atomic_load(&q->connects),
             q->qos);
}

static void mqtt_destroy(void *ctx) {
    mqtt *q = ctx;
    if (q->m) {
        mosquitto_disconnect(q->m); /* after what was published was handed to the socket */
        if (q->loop_started) mosquitto_loop_stop(q->m, false);
        mosquitto_destroy(q->m);
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    vrt_free(q);
}

/* "//HOST[:PORT]/TOPIC[?qos=N]" into q. */
static int parse_uri(mqtt *q, const char *path) {
    if (strncmp(path, "//", 2)) return -1;
    const char *h = path + 2, *slash = strchr(h, '/');
    if (!slash || slash == h || !slash[1]) return -1;
    const char *colon = memchr(h, ':', (size_t)(slash - h));
    const char *hend = colon ? colon : slash;
    if ((size_t)(hend - h) >= sizeof(q->host)) return -1;
    memcpy(q->host, h, (size_t)(hend - h));
    q->host[hend - h] = 0;
    q->port = 1883;
    if (colon) {
        char *end = NULL;
        long p = strtol(colon + 1, &end, 10);
        if (end != slash || p <= 0 || p > 65535) return -1;
        q->port = (int)p;
    }
    const char *t = slash + 1, *qm = strchr(t, '?');
    size_t tn = qm ? (size_t)(qm - t) : strlen(t);
    if (!tn || tn >= sizeof(q->topic) || memchr(t, '+', tn) || memchr(t, '#', tn)) return -1;
    memcpy(q->topic, t, tn);
    q->topic[tn] = 0;
    q->qos = 0;
    if (qm) {
        if (!strcmp(qm, "?qos=0"))
            q->qos = 0;
        else if (!strcmp(qm, "?qos=1"))
            q->qos = 1;
        else
            return -1;
    }
    return 0;
}

/* Connects and waits up to 5 s for the broker's answer. */
static vrt_status connect_now(mqtt *q, char *err, size_t cap) {
    int rc = mosquitto_connect(q->m, q->host, q->port, 10);
    if (rc != MOSQ_ERR_SUCCESS) {
        vrt_errbuf_set(err, cap, "%s: broker unreachable at %s:%d: %s", q->name, q->host, q->port,
                       rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return VRT_EIO;
    }
    if (mosquitto_loop_start(q->m) != MOSQ_ERR_SUCCESS) {
        vrt_errbuf_set(err, cap, "%s: cannot start libmosquitto's thread", q->name);
        return VRT_EIO;
    }
    q->loop_started = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    pthread_mutex_lock(&q->mu);
    while (!q->answered && pthread_cond_timedwait(&q->cv, &q->mu, &ts) == 0) {
    }
    int answered = q->answered, refused = q->refused;
    pthread_mutex_unlock(&q->mu);
    if (!answered || refused) {
        vrt_errbuf_set(err, cap, "%s: the broker at %s:%d %s", q->name, q->host, q->port,
                       answered ? mosquitto_connack_string(refused) : "did not answer within 5 s");
        return VRT_EIO;
    }
    return VRT_OK;
}

static vrt_status mqtt_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                            const vrt_sink_params *sp, char *err, size_t cap) {
    (void)p, (void)sp;
    mqtt *q = vrt_calloc(1, sizeof(*q));
    if (!q) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    snprintf(q->name, sizeof(q->name), "mqtt:%s", path);
    if (parse_uri(q, path)) {
        vrt_errbuf_set(
            err, cap,
            "%s: expected mqtt://HOST[:PORT]/TOPIC[?qos=0|1], e.g. mqtt://localhost:1883/vrt/results "
            "(no + or # in the topic)",
            q->name);
        mqtt_destroy(q);
        return VRT_EINVAL;
    }
    pthread_once(&g_mosq_once, mosq_init);
    q->m = mosquitto_new(NULL, true, q);
    if (!q->m) {
        vrt_errbuf_set(err, cap, "%s: cannot make a libmosquitto client", q->name);
        mqtt_destroy(q);
        return VRT_ENOMEM;
    }
    mosquitto_connect_callback_set(q->m, on_connect);
    mosquitto_disconnect_callback_set(q->m, on_disconnect);
    mosquitto_reconnect_delay_set(q->m, 1, 16, true);
    vrt_status st = connect_now(q, err, cap);
    if (st) {
        mqtt_destroy(q);
        return st;
    }
    o->name = q->name;
    o->depth = MQTT_DEPTH;
    o->ctx = q;
    o->write = mqtt_write;
    o->finish = mqtt_finish;
    o->stats = mqtt_stats;
    o->destroy = mqtt_destroy;
    return VRT_OK;
}
#define MQTT_AVAILABLE 1
#else
static vrt_status mqtt_open(vrt_pipeline_t *p, vrt_pipeline_output *o, const char *path,
                            const vrt_sink_params *sp, char *err, size_t cap) {
    (void)p, (void)o, (void)sp;
    char uri[300];
    snprintf(uri, sizeof(uri), "mqtt:%s", path);
    return vrt__sink_missing(uri, "MQTT client", "libmosquitto (libmosquitto-dev)", err, cap);
}
#define MQTT_AVAILABLE 0
#endif

const vrt__sink_kind vrt__sink_mqtt = {
    .scheme = "mqtt",
    .extensions = "",
    .example = "mqtt://HOST:1883/TOPIC",
    .available = MQTT_AVAILABLE,
    .open = mqtt_open,
};
