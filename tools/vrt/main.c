#include <stdio.h>
#include <string.h>

#include "vrt/core.h"

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("vrt %s\n%s\n", vrt_version(), vrt_build_info());
        return 0;
    }
    fprintf(stderr, "usage: vrt --version\n");
    return 2;
}
