#!/usr/bin/env bash
# package.deb: `cpack -G DEB` makes a Debian package that holds the CLI, the library, its headers and
# the CMake package, and whose tlab runs. Builds the .deb from BUILD_DIR's CPack config into a
# temporary folder, checks its contents and control fields, extracts it (no dpkg -i) and runs
# usr/bin/tlab --version and tlab summary. Every failure fails the test; nothing is skipped.
# Usage: deb.sh BUILD_DIR VERSION [CPACK]
set -euo pipefail
build=$(realpath "$1")
version=$2
cpack=${3:-cpack}

fail() { echo "package.deb: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlab-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== cpack -G DEB"
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" > "$tmp/cpack.log" 2>&1 \
  || { cat "$tmp/cpack.log"; fail "cpack failed"; }
debs=("$tmp"/out/*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || { cat "$tmp/cpack.log"; fail "expected one .deb, found: ${debs[*]}"; }
deb=${debs[0]}
ls -l "$deb"

echo "== control fields"
dpkg-deb -f "$deb" Package Version Architecture Depends
[ "$(dpkg-deb -f "$deb" Package)" = transferlab ] || fail "package name is not transferlab"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for p in libc6 libtorch1.13 libopencv-core406 libcurl4 libssl3 libtorch-dev libopencv-dev; do
  [[ "$depends" == *"$p"* ]] || fail "Depends lacks $p: $depends"
done

echo "== contents"
dpkg-deb -c "$deb" > "$tmp/contents"
for f in ./usr/bin/tlab ./usr/lib/libtlab.a ./usr/include/tlab/train/run.h \
         ./usr/lib/cmake/TransferLab/TransferLabConfig.cmake ./usr/lib/cmake/TransferLab/TransferLabTargets.cmake; do
  grep -q " $f\$" "$tmp/contents" || { cat "$tmp/contents"; fail "the package lacks $f"; }
done

echo "== the extracted tlab runs"
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/tlab" --version > "$tmp/version" || fail "tlab --version failed"
cat "$tmp/version"
grep -qx "tlab $version" "$tmp/version" || fail "tlab --version did not print 'tlab $version'"
# A model built and run through the packaged LibTorch (tlab models builds every model: ~40 s).
"$tmp/root/usr/bin/tlab" summary --model simple_cnn --channels 1 --image-size 28 > "$tmp/summary" \
  || fail "tlab summary failed"
tail -4 "$tmp/summary"
grep -q '^Total params: ' "$tmp/summary" || fail "tlab summary printed no 'Total params:' line"
echo "package.deb: ok"
