#!/usr/bin/env bash
# Installs every Debian 12 package TransferLab needs to build, run, test and benchmark.
# The single list of system packages. Idempotent; run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  dpkg-dev file               # cpack -G DEB: dpkg-shlibdeps computes Depends, CPack runs file on each file
  libtorch-dev                # the engine (LibTorch 1.13.1, CPU)
  libopenblas0-pthread libopenblas-dev   # optimised BLAS: LibTorch must never use the reference BLAS
  libopencv-dev               # image decoding, resizing, augmentation
  libcli11-dev                # command-line parsing
  nlohmann-json3-dev          # JSON for config/metrics files
  libcpp-httplib-dev          # HTTP serving
  libgtest-dev libgmock-dev   # tests (GoogleTest via CTest)
  zlib1g-dev                  # gzip-compressed IDX files
  libcurl4-openssl-dev libssl-dev  # downloading pretrained weights; SHA-256 checks
  dataset-fashion-mnist       # the main job's data, at /usr/share/datasets/fashion-mnist
  python3-torch python3-torchvision python3-sklearn python3-numpy python3-scipy python3-skimage  # reference checks and benchmark peers
  liblinear-dev libsvm-dev    # classical classifiers: linear SVM (LIBLINEAR 2.3), kernel SVM (LIBSVM 3.24)
  libonnx-dev libprotobuf-dev # ONNX export: the generated protobuf classes and the C++ checker (LibTorch links the same)
  python3-onnx                # onnx.checker on exported files (tests)
  chromium                    # the serve web page in a real headless browser (tests)
  hey python3-flask           # bench/serve.sh: the load generator and the Python serving peer
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the npm reference packages; the machines have it, a bare Debian gets Debian's.
command -v node > /dev/null && command -v npm > /dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The pinned npm packages (tests/js/package.json + package-lock.json): ONNX Runtime, which carries its
# CPU library inside the package (its install script only fetches CUDA files, so scripts are skipped),
# and playwright-core, which drives Debian's chromium.
js="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
if [ ! -f "$js/node_modules/.package-lock.json" ] || ! cmp -s "$js/package-lock.json" "$js/node_modules/.tlab-lock"; then
  (cd "$js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.tlab-lock)
fi
echo "setup: npm packages in $js/node_modules"
