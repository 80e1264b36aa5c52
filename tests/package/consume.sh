#!/usr/bin/env bash
# package.find_package: the installed package works for a project of its own. Installs BUILD_DIR to
# a temporary prefix, checks that no source or build path leaked into the installed CMake files,
# configures and builds examples/ants-and-bees (find_package(TransferLab), TransferLab::tlab)
# against that prefix alone, and runs the example: without arguments it must print its usage line
# on stderr and exit 2. Every failure fails the test; nothing is skipped.
# Usage: consume.sh SOURCE_DIR BUILD_DIR [CMAKE] [GENERATOR] [CXX] [FLAGS]  (FLAGS: compile + link)
set -euo pipefail
src=$(realpath "$1")
build=$(realpath "$2")
cmake=${3:-cmake}
generator=${4:-Ninja}
cxx=${5:-c++}
flags=${6:-}

fail() { echo "package.find_package: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlab-consume.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "install failed"; }
for f in bin/tlab lib/libtlab.a include/tlab/train/run.h \
         lib/cmake/TransferLab/TransferLabConfig.cmake lib/cmake/TransferLab/TransferLabConfigVersion.cmake \
         lib/cmake/TransferLab/TransferLabTargets.cmake; do
  [ -e "$prefix/$f" ] || fail "installed tree lacks $f (install log: $(cat "$tmp/install.log"))"
done
# The exported target must not point into the tree it was built in (include dirs, PCH, libraries).
if grep -rn -e "$src" -e "$build" "$prefix/lib/cmake/TransferLab"; then
  fail "the installed CMake package names paths of the source or build tree (above)"
fi
# The precompiled header is the build's own business: a consumer must not have to compile it.
if grep -n INTERFACE_PRECOMPILE_HEADERS "$prefix"/lib/cmake/TransferLab/*.cmake; then
  fail "TransferLab::tlab exports precompiled headers (above)"
fi

echo "== configure examples/ants-and-bees against $prefix"
args=(-S "$src/examples/ants-and-bees" -B "$tmp/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx")
[ -z "$flags" ] || args+=(-DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags")
"$cmake" "${args[@]}" || fail "configuring the consumer project failed"
found=$(sed -n 's/^TransferLab_DIR:PATH=//p' "$tmp/build/CMakeCache.txt")
[ "$found" = "$prefix/lib/cmake/TransferLab" ] || fail "find_package(TransferLab) found '$found', not the package just installed"

echo "== build"
"$cmake" --build "$tmp/build" || fail "building the consumer project failed"

echo "== run without arguments"
set +e
"$tmp/build/transfer" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
set -e
cat "$tmp/stderr"
[ "$rc" -eq 2 ] || fail "the example exited $rc, expected 2 (usage)"
grep -q '^usage: ' "$tmp/stderr" || fail "the example printed no 'usage:' line on stderr"
echo "package.find_package: ok"
