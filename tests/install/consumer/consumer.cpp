// consumer.cpp - the C++ side of tests/install: every public header compiles as C++ (extern "C"
// guards, no C-only constructs) and the library links from a C++ program.
#include <cstdio>
#include <cstring>
#include <string>

#include "vrt/arena.h"
#include "vrt/core.h"
#include "vrt/engine.h"
#include "vrt/export.h"
#include "vrt/frame.h"
#include "vrt/head.h"
#include "vrt/hist.h"
#include "vrt/image.h"
#include "vrt/json.h"
#include "vrt/model.h"
#include "vrt/pipeline.h"
#include "vrt/profile.h"
#include "vrt/result.h"
#include "vrt/session.h"
#include "vrt/sink.h"
#include "vrt/source.h"
#include "vrt/thread.h"
#include "vrt/v4l2.h"
#include "vrt/vision.h"

int main() {
    std::string v = vrt_version();
    if (v != VRT_VERSION_STRING) {
        std::fprintf(stderr, "consumer++: header %s, library %s\n", VRT_VERSION_STRING, v.c_str());
        return 1;
    }
    // A status message from the library's table, and a profile parsed by it.
    if (std::strcmp(vrt_status_name(VRT_EAGAIN), "EAGAIN") != 0) return 1;
    const char text[] = "task = classify\ntopk = 3\n";
    static vrt_profile p;
    vrt_profile_default(&p);
    char err[256] = "";
    int st = vrt_profile_parse(text, sizeof text - 1, "inline", &p, err, sizeof err);
    if (st != VRT_OK) {
        std::fprintf(stderr, "consumer++: vrt_profile_parse: %s\n", err);
        return 1;
    }
    if (p.topk != 3) return 1;
    std::printf("visionrt %s (C++), profile task %s topk %d\n", v.c_str(), vrt_task_name(p.task), p.topk);
    return 0;
}
