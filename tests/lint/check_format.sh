#!/usr/bin/env bash
# Every tracked C/CUDA file (.c .h .cu .cuh) is clang-format clean with the repository's
# .clang-format. The tree is formatted with clang-format 14 (Debian 12's); another major
# version formats some constructs differently, so the check is skipped (exit 77) there,
# as it is when clang-format is missing.
#
# usage: check_format.sh SOURCE_ROOT [CLANG_FORMAT]
# Fix:   clang-format -i FILE...   (with clang-format 14)
set -uo pipefail
root=${1:?usage: check_format.sh SOURCE_ROOT [CLANG_FORMAT]}
want_major=14
cf=${2:-}
if [[ -z $cf || ! -x $cf ]]; then
    cf=$(command -v clang-format-$want_major || command -v clang-format || true)
fi
if [[ -z $cf ]]; then
    echo "SKIP: clang-format not found (apt-get install clang-format; ./scripts/quickstart test installs it)"
    exit 77
fi
ver=$("$cf" --version)
major=$(sed -n 's/.*clang-format version \([0-9]*\).*/\1/p' <<<"$ver")
if [[ $major != "$want_major" ]]; then
    echo "SKIP: $cf is '$ver'; the tree is formatted with clang-format $want_major (install clang-format-$want_major)"
    exit 77
fi
cd "$root" || exit 1
# Tracked files when this is a git checkout (build trees and scratch files stay out), else
# every C/CUDA file outside the build folders.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files -- '*.c' '*.h' '*.cu' '*.cuh')
else
    mapfile -t files < <(find . -path './build*' -prune -o -path './.*' -prune -o \
        -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -print | sed 's|^\./||' | sort)
fi
if [[ ${#files[@]} -eq 0 ]]; then
    echo "no C/CUDA files found under $root"
    exit 1
fi
present=()
for f in "${files[@]}"; do
    [[ -f $f ]] && present+=("$f") # a tracked file deleted in the work tree is skipped
done
bad=()
# One run over every file; only when it fails, one run per file to name the culprits.
if ! "$cf" --dry-run --Werror --style=file "${present[@]}" >/dev/null 2>&1; then
    for f in "${present[@]}"; do
        "$cf" --dry-run --Werror --style=file "$f" >/dev/null 2>&1 || bad+=("$f")
    done
    [[ ${#bad[@]} -gt 0 ]] || bad=("(clang-format failed on the whole list)")
fi
if [[ ${#bad[@]} -gt 0 ]]; then
    echo "not clang-format clean (${#bad[@]} of ${#files[@]} files); the first differences:"
    for f in "${bad[@]:0:3}"; do
        "$cf" --dry-run --style=file "$f" 2>&1 | head -12
    done
    echo "fix with: clang-format -i ${bad[*]}"
    exit 1
fi
echo "clang-format $major: ${#files[@]} files clean"
