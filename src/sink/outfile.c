/* outfile.c - output files that replace an old one only when complete.
 *
 * `vrt run --json old.jsonl --report old.html` used to truncate both files
 * when the sinks opened, before the model loaded: a load error or a second
 * Ctrl-C left 0-byte files where the last good run's were. A sink's file is
 * now written under a temporary name next to it (same folder, so the rename
 * is atomic) and renamed over the old one when the sink finishes; a run that
 * never finishes removes the temporary file and leaves the old one as it
 * was. A path that exists and is not a regular file (/dev/stdout, /dev/full,
 * a FIFO) is written directly: renaming over it would be wrong. */
#include "sink-impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

vrt_status vrt__outfile_open(vrt__outfile *o, const char *path, char *err, size_t cap) {
    memset(o, 0, sizeof(*o));
    snprintf(o->path, sizeof(o->path), "%s", path);
    struct stat sb;
    int fd;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    } else {
        static unsigned counter; /* distinct names for several files of one process */
        unsigned k = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%ld-%u", path, (long)getpid(), k);
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) o->tmp[0] = 0;
    }
    if (fd >= 0 && !(o->f = fdopen(fd, "w"))) close(fd);
    if (!o->f) {
        int e = errno;
        vrt_errbuf_set(err, cap, "%s: cannot open for writing (%s)", path, strerror(e));
        return vrt_status_from_errno(e);
    }
    return VRT_OK;
}

vrt_status vrt__outfile_commit(vrt__outfile *o, char *err, size_t cap) {
    if (!o->f) return VRT_OK;
    errno = 0;
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int e = errno;
    bad |= fclose(o->f) != 0;
    if (!e) e = errno;
    o->f = NULL;
    if (!bad && o->tmp[0] && rename(o->tmp, o->path) != 0) bad = 1, e = errno;
    if (bad) {
        if (o->tmp[0]) unlink(o->tmp);
        o->tmp[0] = 0;
        vrt_errbuf_set(err, cap, "%s: write failed (%s)", o->path, e ? strerror(e) : "I/O error");
        return VRT_EIO;
    }
    o->tmp[0] = 0;
    return VRT_OK;
}

void vrt__outfile_abandon(vrt__outfile *o) {
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) unlink(o->tmp);
    o->tmp[0] = 0;
}
