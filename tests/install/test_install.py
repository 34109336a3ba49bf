#!/usr/bin/env python3
"""Installation tests (label "install"): what `cmake --install` and the Debian package give a user.

usage: test_install.py --build DIR --source DIR --prefix DIR [--dpkg 0|1] CASE

Cases:
  tree          cmake --install BUILD --prefix PREFIX (the other cases use that tree): headers,
                libvrt.so.0.1 with its soname, libvrt.a, vrt.pc, the CMake package, vrt, the
                profiles under share/visionrt/models and a man page per command; the installed
                .so exports exactly the public API (scripts/check-exports)
  pkgconfig     a C and a C++ consumer built with `pkg-config --cflags --libs vrt` run; with the
                test data, the C one classifies an image and agrees with `vrt infer --json`
  find_package  the same consumers built by a CMake project with find_package(visionrt), against
                the shared and (visionrt_USE_STATIC) the static library
  vrt_run       the installed vrt, run from a folder without models/, uses the installed profile
                (vrt infer --json names it) and vrt run gives results with it
  deb           cpack -G DEB: two packages with the right Depends; the runtime one unpacked runs
                `vrt --version`; with --dpkg 1 (CI, as root): dpkg -i both, `vrt --version`, a
                pkg-config consumer against /usr, dpkg --purge leaves nothing behind
Exit status: 0 pass, 1 fail, 77 skipped (a tool or the test data is missing).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
MODEL_REL = "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"
IMAGE_REL = "images/winml/kitten_224.png"
# Before 1.0 the soname carries the minor version too (CMakeLists.txt VRT_SOVERSION).
SONAME = "libvrt.so.0.1"


def sh(cmd, env=None, cwd=None, check=True, timeout=600):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s -> exit %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(cmd), r.returncode,
                                                                         r.stdout[-4000:], r.stderr[-4000:]))
    return r


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def data_file(rel):
    d = os.environ.get("VRT_DATA")
    p = os.path.join(d, rel) if d else None
    return p if p and os.path.exists(p) else None


def libdir(prefix):
    for d in ("lib", "lib64", "lib/x86_64-linux-gnu"):
        if glob.glob(os.path.join(prefix, d, "libvrt.so*")):
            return os.path.join(prefix, d)
    raise AssertionError("no libvrt.so under %s" % prefix)


def installed(a):
    if not os.path.exists(os.path.join(a.prefix, "bin", "vrt")):
        raise AssertionError("%s is not installed: the install_tree test sets it up" % a.prefix)


def vrt_infer_top1(vrt, model, image, env=None, cwd=None):
    r = sh([vrt, "infer", model, image, "--json", "--backend", "cpu"], env=env, cwd=cwd)
    c = json.loads(r.stdout.splitlines()[0])["classes"][0]
    return c["index"], c["score"]


def case_tree(a):
    shutil.rmtree(a.prefix, ignore_errors=True)
    sh(["cmake", "--install", a.build, "--prefix", a.prefix])
    lib = libdir(a.prefix)
    for rel in ("bin/vrt", "include/vrt/core.h", "include/vrt/export.h", "include/vrt/session.h",
                "share/visionrt/models/squeezenet.conf", "share/visionrt/models/yolox.conf",
                "share/man/man1/vrt.1", "share/man/man1/vrt-run.1", "share/man/man1/vrt-infer.1"):
        expect(os.path.exists(os.path.join(a.prefix, rel)), "not installed: " + rel)
    for rel in ("libvrt.a", "libvrt.so", SONAME, "pkgconfig/vrt.pc", "cmake/visionrt/visionrtConfig.cmake",
                "cmake/visionrt/visionrtConfigVersion.cmake", "cmake/visionrt/visionrtTargets.cmake"):
        expect(os.path.exists(os.path.join(lib, rel)), "not installed: %s/%s" % (lib, rel))
    so = os.path.realpath(os.path.join(lib, "libvrt.so"))
    dyn = sh(["readelf", "-d", so]).stdout
    expect("Library soname: [%s]" % SONAME in dyn, "soname of %s is not %s:\n%s" % (so, SONAME, dyn))
    expect(os.path.basename(so).startswith("libvrt.so.0."), "libvrt.so does not point to a versioned file: " + so)
    pc = open(os.path.join(lib, "pkgconfig", "vrt.pc")).read()
    expect("prefix=%s\n" % a.prefix in pc, "vrt.pc does not name the install prefix:\n" + pc)
    cuda = "CUDA ON" in sh([os.path.join(a.prefix, "bin", "vrt"), "--version"]).stdout
    sh([sys.executable, os.path.join(a.source, "scripts", "check-exports"), "--root", a.source, "--lib", so] +
       ([] if cuda else ["--optional", "vision_cuda.h"]))
    pages = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a.prefix, "share/man/man1/*.1")))
    print("installed into %s: %s, man pages %s" % (a.prefix, os.path.basename(so), ", ".join(pages)))


def run_consumers(a, build_c, build_cxx, what):
    """Runs the two consumers; classifies with the C one when the data is there. The score may differ
    from vrt infer in the 4th decimal: a session feeds the network fp32 where vrt infer rounds the
    input to the profile's fp16 (vrt/session.h)."""
    out = sh([build_c]).stdout
    expect("visionrt" in out and "jpeg" in out, "%s C consumer said:\n%s" % (what, out))
    out = sh([build_cxx]).stdout
    expect("(C++)" in out, "%s C++ consumer said:\n%s" % (what, out))
    model, image = data_file(MODEL_REL), data_file(IMAGE_REL)
    if not (model and image):
        print("%s: consumers run (no test data: the classification is not compared)" % what)
        return
    profile = os.path.join(a.prefix, "share/visionrt/models/squeezenet.conf")
    out = sh([build_c, model, profile, image]).stdout
    line = [l for l in out.splitlines() if l.startswith("top1 ")][0].split()
    want = vrt_infer_top1(os.path.join(a.prefix, "bin", "vrt"), model, image)
    expect(int(line[1]) == want[0] and abs(float(line[2]) - want[1]) < 1e-3,
           "%s consumer top1 %s, vrt infer %s" % (what, line[1:], want))
    print("%s: consumers run; top-1 %d %.4f equals vrt infer's" % (what, want[0], want[1]))


def case_pkgconfig(a):
    installed(a)
    if not shutil.which("pkg-config"):
        print("pkg-config not installed")
        return SKIP
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir(a.prefix), "pkgconfig"))
    flags = sh(["pkg-config", "--cflags", "--libs", "vrt"], env=env).stdout.split()
    expect("-lvrt" in flags, "pkg-config --libs vrt: %s" % flags)
    rpath = "-Wl,-rpath," + libdir(a.prefix)
    src = os.path.join(a.source, "tests/install/consumer")
    with tempfile.TemporaryDirectory() as tmp:
        c, cxx = os.path.join(tmp, "consumer"), os.path.join(tmp, "consumer_cxx")
        sh(["cc", "-std=c11", "-Wall", "-Werror", os.path.join(src, "consumer.c"), "-o", c, rpath] + flags)
        sh(["c++", "-std=c++11", "-Wall", "-Werror", os.path.join(src, "consumer.cpp"), "-o", cxx, rpath] + flags)
        needed = sh(["readelf", "-d", c]).stdout
        expect(SONAME in needed, "the pkg-config consumer does not use %s:\n%s" % (SONAME, needed))
        run_consumers(a, c, cxx, "pkg-config")


def case_find_package(a):
    installed(a)
    src = os.path.join(a.source, "tests/install/consumer")
    for static in ("OFF", "ON"):
        with tempfile.TemporaryDirectory() as tmp:
            sh(["cmake", "-S", src, "-B", tmp, "-DCMAKE_PREFIX_PATH=" + a.prefix, "-Dvisionrt_USE_STATIC=" + static,
                "-DCMAKE_BUILD_TYPE=Release"])
            sh(["cmake", "--build", tmp, "-j2"])
            c = os.path.join(tmp, "consumer")
            needed = sh(["readelf", "-d", c]).stdout
            expect((SONAME in needed) == (static == "OFF"),
                   "find_package consumer (visionrt_USE_STATIC=%s) links the wrong libvrt:\n%s" % (static, needed))
            run_consumers(a, c, os.path.join(tmp, "consumer_cxx"),
                          "find_package (%s)" % ("static" if static == "ON" else "shared"))


def case_vrt_run(a):
    installed(a)
    vrt = os.path.join(a.prefix, "bin", "vrt")
    model, image = data_file(MODEL_REL), data_file(IMAGE_REL)
    if not (model and image):
        print("no test data (VRT_DATA): the installed vrt is not run on a model")
        return SKIP
    env = {k: v for k, v in os.environ.items() if k != "VRT_MODELS_DIR"}
    share = os.path.realpath(os.path.join(a.prefix, "share/visionrt/models"))
    with tempfile.TemporaryDirectory() as tmp:
        # Run from a folder without models/: the profile must come from PREFIX/share/visionrt/models.
        r = sh([vrt, "infer", model, image, "--json", "--backend", "cpu"], env=env, cwd=tmp)
        used = json.loads(r.stdout.splitlines()[0])["profile"]
        expect(os.path.dirname(os.path.realpath(used)) == share,
               "the installed vrt used the profile %s, not the one under %s" % (used, share))
        r = sh([vrt, "run", "--source", "synthetic:", "--model", model, "--frames", "3", "--backend", "cpu",
                "--json", "-", "--quiet"], env=env, cwd=tmp)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
        results = [l for l in lines if "classes" in l]
        expect(len(results) >= 3, "vrt run printed %d results:\n%s" % (len(results), r.stdout[-2000:]))
        print("installed vrt infer and run (%d results) with %s" % (len(results), used))


def dpkg_field(deb, field):
    return sh(["dpkg-deb", "-f", deb, field]).stdout.strip()


def case_deb(a):
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
        if not shutil.which(tool):
            print("%s not installed (apt-get install dpkg-dev)" % tool)
            return SKIP
    out = os.path.join(a.build, "deb")
    shutil.rmtree(out, ignore_errors=True)
    sh(["cpack", "-G", "DEB", "-B", out, "--config", os.path.join(a.build, "CPackConfig.cmake")])
    debs = sorted(glob.glob(os.path.join(out, "*.deb")))
    runtime = [d for d in debs if os.path.basename(d).startswith("visionrt_")]
    dev = [d for d in debs if os.path.basename(d).startswith("libvrt-dev_")]
    expect(len(runtime) == 1 and len(dev) == 1, "cpack made %s" % [os.path.basename(d) for d in debs])
    runtime, dev = runtime[0], dev[0]
    deps = dpkg_field(runtime, "Depends")
    for pkg in ("libc6", "libjpeg62-turbo", "libpng16-16"):
        expect(pkg in deps, "visionrt Depends lacks %s: %s" % (pkg, deps))
    ddeps = dpkg_field(dev, "Depends")
    for pkg in ("visionrt (= ", "libjpeg-dev", "libpng-dev"):
        expect(pkg in ddeps, "libvrt-dev Depends lacks %s: %s" % (pkg, ddeps))
    files = sh(["dpkg-deb", "-c", runtime]).stdout
    for rel in ("./usr/bin/vrt", SONAME, "./usr/share/visionrt/models/squeezenet.conf",
                "./usr/share/man/man1/vrt.1"):
        expect(rel in files, "%s not in %s" % (rel, os.path.basename(runtime)))
    files = sh(["dpkg-deb", "-c", dev]).stdout
    for rel in ("./usr/include/vrt/session.h", "vrt.pc", "visionrtConfig.cmake", "libvrt.a"):
        expect(rel in files, "%s not in %s" % (rel, os.path.basename(dev)))
    with tempfile.TemporaryDirectory() as tmp:
        sh(["dpkg-deb", "-x", runtime, tmp])
        v = sh([os.path.join(tmp, "usr/bin/vrt"), "--version"]).stdout
        expect(v.startswith("vrt "), "unpacked vrt --version: " + v)
    print("packages: %s (Depends: %s), %s" % (os.path.basename(runtime), deps, os.path.basename(dev)))
    if a.dpkg != "1":
        print("dpkg -i not tried (configure with -DVRT_TEST_DPKG=ON, as root, to install and purge)")
        return 0
    return deb_install(a, runtime, dev)


def deb_install(a, runtime, dev):
    expect(os.geteuid() == 0, "VRT_TEST_DPKG=ON needs root")
    expect(sh(["dpkg", "-s", "visionrt"], check=False).returncode != 0, "visionrt is already installed here")
    try:
        r = sh(["dpkg", "-i", runtime, dev], check=False)
        if r.returncode != 0:  # missing dependencies: let apt bring them, as a user would
            sh(["apt-get", "install", "-y", "-f", "--no-install-recommends"],
               env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        v = sh(["/usr/bin/vrt", "--version"]).stdout
        expect(v.startswith("vrt "), "/usr/bin/vrt --version: " + v)
        with tempfile.TemporaryDirectory() as tmp:
            flags = sh(["pkg-config", "--cflags", "--libs", "vrt"]).stdout.split()
            exe = os.path.join(tmp, "consumer")
            sh(["cc", os.path.join(a.source, "tests/install/consumer/consumer.c"), "-o", exe] + flags)
            expect("visionrt" in sh([exe]).stdout, "consumer against /usr failed")
        listed = sh(["dpkg", "-L", "visionrt", "libvrt-dev"]).stdout.split()
    finally:
        sh(["dpkg", "--purge", "libvrt-dev", "visionrt"], check=False)
    left = [p for p in listed if os.path.isfile(p) or os.path.islink(p)]
    expect(not left, "files left after dpkg --purge: %s" % left[:10])
    expect(not os.path.exists("/usr/bin/vrt"), "/usr/bin/vrt left after dpkg --purge")
    print("dpkg -i, vrt --version, a consumer against /usr and dpkg --purge: clean")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--dpkg", default="0")
    ap.add_argument("case")
    a = ap.parse_args()
    fn = globals().get("case_" + a.case)
    if not fn:
        print("unknown case " + a.case)
        return 2
    try:
        rc = fn(a)
    except AssertionError as e:
        print("FAIL: %s" % e)
        return 1
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
