/* Tests of the FFmpeg source on network URLs. All traffic stays on 127.0.0.1: a sample video
 * served by `python3 -m http.server`, a tiny in-process HTTP server that stalls mid-file, a
 * listening socket that never answers, and a closed port. */
#include "harness.h"
#include "vrt/source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* This file tests the FFmpeg source: decode=auto would take NVDEC on a machine with a driver. */
static const vrt_source_params *cpu_params(void) {
    static vrt_source_params p;
    vrt_source_default_params(&p);
    p.decode = VRT_DECODE_CPU;
    return &p;
}

/* ---- helpers ----------------------------------------------------------------- */

/* A listening TCP socket on 127.0.0.1 at a free port. */
static int listen_local(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int can_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static int have_python3(void) {
    return system("command -v python3 >/dev/null 2>&1") == 0;
}

/* Starts `python3 -m http.server` on 127.0.0.1 serving dir; returns its pid (0 if it did not
 * come up) and the port. */
static pid_t start_http_server(const char *dir, int *port) {
    int fd = listen_local(port);
    if (fd < 0) return 0;
    close(fd); /* free again: the server binds it (a tiny race, retried by the caller) */
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", *port);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, ps,
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s for the interpreter to start */
        if (can_connect(*port)) return pid;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return 0;
        usleep(50000);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return 0;
}

static void stop_server(pid_t pid) {
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static pid_t g_server; /* killed at exit even when a test fails half-way */

static void data_dir(char *out, size_t cap, const char *file) {
    const char *p = vrt_test_data_or_skip(file);
    snprintf(out, cap, "%s", p);
    char *slash = strrchr(out, '/');
    if (slash) *slash = 0;
}

/* ---- tests ------------------------------------------------------------------- */

TEST(http_stream_from_local_server) {
    const char *rel =
        "video/one-by-one-person-detection.mp4"; /* index at the front: streams without seeking */
    char dir[1024];
    data_dir(dir, sizeof(dir), rel);
    if (!have_python3()) SKIP("python3 not found");
    int port = 0;
    for (int tries = 0; tries < 3 && !g_server; tries++)
        g_server = start_http_server(dir, &port);
    if (!g_server) SKIP("could not start python3 -m http.server");

    char url[256], err[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/one-by-one-person-detection.mp4", port);
    vrt_source_t *s = NULL;
    vrt_status st = vrt_source_open(&s, url, cpu_params(), err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s", url, err);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.kind, "stream");
    ASSERT_STREQ(info.name, url);
    ASSERT_STREQ(info.driver, "h264");
    ASSERT_EQ(info.width, 768);
    ASSERT_EQ(info.height, 432);
    ASSERT_NEAR(info.fps, 10, 1e-6);
    ASSERT_OK(vrt_source_start(s));

    /* The same frames as from the file itself, bit for bit. */
    vrt_source_t *ref = NULL;
    ASSERT_OK(vrt_source_open(&ref, vrt_test_data(rel), cpu_params(), err, sizeof(err)));
    ASSERT_OK(vrt_source_start(ref));
    int64_t last = INT64_MIN;
    for (int i = 0; i < 30; i++) {
        vrt_frame *f = NULL, *g = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 2000));
        ASSERT_OK(vrt_source_read(ref, &g, -1));
        ASSERT_EQ(f->sequence, i);
        ASSERT_TRUE(f->pts_ns > last);
        ASSERT_EQ(f->pts_ns, g->pts_ns);
        ASSERT_EQ(f->bytesused, g->bytesused);
        ASSERT_TRUE(memcmp(f->planes[0].data, g->planes[0].data, f->bytesused) == 0);
        last = f->pts_ns;
        vrt_frame_unref(&f);
        vrt_frame_unref(&g);
    }
    vrt_source_destroy(&ref);
    vrt_source_destroy(&s);

    /* Our own keys ride in the URL fragment, which is never sent to the server. */
    snprintf(url, sizeof(url),
             "http://127.0.0.1:%d/one-by-one-person-detection.mp4#format=RGB24&width=384&timeout=3", port);
    ASSERT_OK(vrt_source_open(&s, url, cpu_params(), err, sizeof(err)));
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.fourcc, VRT_FMT_RGB24);
    ASSERT_EQ(info.width, 384);
    ASSERT_EQ(info.height, 216);
    ASSERT_OK(vrt_source_start(s));
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 2000));
    ASSERT_EQ(f->width, 384);
    ASSERT_EQ(f->bytesused, 384 * 216 * 3);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);

    /* A missing file on the server. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/no-such-video.mp4", port);
    st = vrt_source_open(&s, url, cpu_params(), err, sizeof(err));
    ASSERT_STATUS(st, VRT_ENOENT);
    ASSERT_CONTAINS(err, "no-such-video.mp4");
    ASSERT_TRUE(s == NULL);

    stop_server(g_server);
    g_server = 0;
}

TEST(unreachable_rtsp_fails_quickly_with_a_message) {
    char err[512];
    vrt_source_t *s = NULL;
    int64_t t0 = vrt_now_ns();
    vrt_status st = vrt_source_open(&s, "rtsp://127.0.0.1:1/x", NULL, err, sizeof(err));
    double el = (vrt_now_ns() - t0) / 1e9;
    printf("  %s after %.3f s: %s\n", vrt_status_name(st), el, err);
    ASSERT_TRUE(st != VRT_OK);
    ASSERT_TRUE(s == NULL);
    ASSERT_TRUE(el < 5.5); /* default timeout 5 s; a refused port fails at once */
    ASSERT_CONTAINS(err, "rtsp://127.0.0.1:1/x");
    ASSERT_CONTAINS(err, "cannot open");
}

TEST(silent_rtsp_server_times_out) {
    int port = 0;
    int fd = listen_local(&port); /* accepts connections in the kernel, never answers */
    ASSERT_TRUE(fd >= 0);
    char url[128], err[512];
    snprintf(url, sizeof(url), "rtsp://127.0.0.1:%d/live#timeout=1", port);
    vrt_source_t *s = NULL;
    int64_t t0 = vrt_now_ns();
    vrt_status st = vrt_source_open(&s, url, cpu_params(), err, sizeof(err));
    double el = (vrt_now_ns() - t0) / 1e9;
    printf("  %s after %.3f s: %s\n", vrt_status_name(st), el, err);
    close(fd);
    ASSERT_STATUS(st, VRT_ETIMEDOUT);
    ASSERT_TRUE(el >= 0.9 && el < 3.0);
    ASSERT_CONTAINS(err, "127.0.0.1");
    ASSERT_TRUE(strstr(err, "#timeout") == NULL); /* our keys are not part of the URL shown */
}

/* An HTTP server that sends the first `limit` bytes of a file and then goes silent. */
typedef struct stall_server {
    int lfd;
    const char *path;
    long limit;
    atomic_int stop;
} stall_server;

static void *stall_main(void *arg) {
    stall_server *sv = arg;
    int c = accept(sv->lfd, NULL, NULL);
    if (c < 0) return NULL;
    char req[4096];
    size_t n = 0;
    while (n < sizeof(req) - 1) { /* read the request headers */
        ssize_t r = recv(c, req + n, sizeof(req) - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    FILE *f = fopen(sv->path, "rb");
    struct stat sb;
    stat(sv->path, &sb);
    char hdr[256];
    int hl = snprintf(hdr, sizeof(hdr),
                      "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %lld\r\n\r\n",
                      (long long)sb.st_size);
    send(c, hdr, (size_t)hl, MSG_NOSIGNAL);
    char buf[16384];
    long sent = 0;
    while (f && sent < sv->limit) {
        size_t want = (size_t)(sv->limit - sent) < sizeof(buf) ? (size_t)(sv->limit - sent) : sizeof(buf);
        size_t r = fread(buf, 1, want, f);
        if (!r || send(c, buf, r, MSG_NOSIGNAL) <= 0) break;
        sent += (long)r;
    }
    if (f) fclose(f);
    while (!atomic_load(&sv->stop))
        usleep(10000); /* silent but connected */
    close(c);
    return NULL;
}

TEST(stalled_http_server_does_not_hang_read) {
    const char *path = vrt_test_data_or_skip("video/one-by-one-person-detection.mp4");
    stall_server sv = {.path = path, .limit = 600000};
    int port = 0;
    sv.lfd = listen_local(&port);
    ASSERT_TRUE(sv.lfd >= 0);
    atomic_store(&sv.stop, 0);
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, stall_main, &sv), 0);
    char url[128], err[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/clip.mp4#timeout=1", port);
    vrt_source_t *s = NULL;
    vrt_status st = vrt_source_open(&s, url, cpu_params(), err, sizeof(err));
    if (st) {
        atomic_store(&sv.stop, 1);
        shutdown(sv.lfd, SHUT_RDWR);
        pthread_join(th, NULL);
        close(sv.lfd);
        vrt_test_fail(__FILE__, __LINE__, "open %s: %s", url, err);
    }
    ASSERT_OK(vrt_source_start(s));
    int n = 0;
    vrt_frame *f = NULL;
    double worst = 0; /* longest single read(), s */
    for (;;) {
        int64_t t = vrt_now_ns();
        st = vrt_source_read(s, &f, -1);
        double el = (vrt_now_ns() - t) / 1e9;
        if (el > worst) worst = el;
        if (st != VRT_OK || ++n > 2000) break;
        vrt_frame_unref(&f);
    }
    printf("  %d frames, then %s; longest read %.3f s: %s\n", n, vrt_status_name(st), worst,
           vrt_source_last_error(s));
    vrt_source_stats stats;
    vrt_source_get_stats(s, &stats);
    vrt_source_destroy(&s);
    atomic_store(&sv.stop, 1);
    pthread_join(th, NULL);
    close(sv.lfd);
    ASSERT_TRUE(n > 20);
    ASSERT_STATUS(st, VRT_ETIMEDOUT);
    ASSERT_TRUE(worst >= 0.9 && worst < 2.5); /* timeout=1 */
    ASSERT_TRUE(stats.errors >= 1);
}

TEST(stream_keys_are_checked_without_network) {
    char err[512];
    vrt_source_t *s = NULL;
    ASSERT_STATUS(vrt_source_open(&s, "rtsp://127.0.0.1:1/x#bogus=1", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "bogus");
    ASSERT_CONTAINS(err, "rtsp_transport");
    ASSERT_STATUS(
        vrt_source_open(&s, "rtsp://127.0.0.1:1/x#rtsp_transport=carrier_pigeon", NULL, err, sizeof(err)),
        VRT_EINVAL);
    ASSERT_CONTAINS(err, "udp");
    ASSERT_STATUS(vrt_source_open(&s, "rtsp://127.0.0.1:1/x#timeout=0", NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(vrt_source_open(&s, "http://127.0.0.1:1/x#pace", NULL, err, sizeof(err)), VRT_EINVAL);
    /* Network-only keys are not accepted for files. */
    const char *path = vrt_test_data("video/traffic.mp4");
    if (path) {
        char uri[1200];
        snprintf(uri, sizeof(uri), "file:%s?rtsp_transport=udp", path);
        ASSERT_STATUS(vrt_source_open(&s, uri, cpu_params(), err, sizeof(err)), VRT_EINVAL);
    }
    /* Passwords never show up in messages. */
    vrt_status st =
        vrt_source_open(&s, "rtsp://admin:hunter2@127.0.0.1:1/x#timeout=2", NULL, err, sizeof(err));
    ASSERT_TRUE(st != VRT_OK);
    ASSERT_TRUE(strstr(err, "hunter2") == NULL);
    ASSERT_CONTAINS(err, "admin:***@127.0.0.1:1/x");
    ASSERT_TRUE(s == NULL);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    VRT_RUN(http_stream_from_local_server);
    stop_server(g_server); /* if the test failed half-way */
    g_server = 0;
    VRT_RUN(unreachable_rtsp_fails_quickly_with_a_message);
    VRT_RUN(silent_rtsp_server_times_out);
    VRT_RUN(stalled_http_server_does_not_hang_read);
    VRT_RUN(stream_keys_are_checked_without_network);
    return vrt_test_finish();
}
