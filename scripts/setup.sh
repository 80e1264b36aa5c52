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
  python3-torch python3-torchvision python3-sklearn python3-numpy  # reference checks and benchmark peers
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
