#!/usr/bin/env bash
# ctest python_package: the visionrt Python package built against the installed tree of the install
# tests (build/install-test), in a venv under the build folder, then its pytest suite.
#   run.sh PYTHON SOURCE_DIR BUILD_DIR PREFIX
# The venv sees the system's packages (Debian: python3-numpy, python3-pytest); what is missing
# (scikit-build-core, the PEP 517 backend, is needed at build time only) comes from PyPI. Without
# network or Python headers the test skips (77) with the reason.
set -uo pipefail
py=$1 src=$2 build=$3 prefix=$4
venv=$build/python-venv
skip() { echo "SKIP: $*"; exit 77; }
[[ -x $prefix/bin/vrt ]] || { echo "FAIL: $prefix is not installed (install_tree sets it up)"; exit 1; }
"$py" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
    skip "no Python.h for $py (apt-get install python3-dev)"
if [[ ! -x $venv/bin/python ]]; then
    "$py" -m venv --system-site-packages "$venv" || skip "python3 -m venv failed (apt-get install python3-venv)"
fi
missing=()
for m in numpy:numpy pytest:pytest scikit_build_core:scikit-build-core; do
    "$venv/bin/python" -c "import ${m%%:*}" 2>/dev/null || missing+=("${m##*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    "$venv/bin/pip" install -q --disable-pip-version-check --timeout 30 "${missing[@]}" ||
        skip "could not install ${missing[*]} from PyPI (no network?)"
fi
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall \
    "$src/python" -C cmake.define.CMAKE_PREFIX_PATH="$prefix" -C build-dir="$build/python-build" || {
    echo "FAIL: pip install ./python failed"; exit 1; }
cd "$build" && VRT_BIN=$prefix/bin/vrt exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$src/tests/python"
