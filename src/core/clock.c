#define _POSIX_C_SOURCE 200809L
#include "vrt/core.h"

#include <time.h>

int64_t vrt_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void vrt_sleep_until_ns(int64_t t) {
    if (t <= 0) return;
    struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

void vrt_sleep_ns(int64_t ns) {
    if (ns > 0) vrt_sleep_until_ns(vrt_now_ns() + ns);
}
