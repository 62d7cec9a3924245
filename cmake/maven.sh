#!/usr/bin/env bash
# Runs the CUDA CMake project for Maven (java/pom.xml, profile cuda-kernels).
#   maven.sh build BUILD_DIR CLASSES_DIR   configure + build; copy the fatbin into the jar's classes
#   maven.sh test BUILD_DIR SKIP_TESTS     ctest (the shim under ThreadSanitizer)
# Without cmake or a C++ compiler it prints one notice and succeeds; without nvcc, CMake itself
# skips the fatbin (and the jar then has no kernels: CudaBackend.open() says so).
set -euo pipefail
mode=$1
build=$2
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v cmake >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then
    echo "[cuda] cmake or a C++ compiler not found: CUDA shim, fatbin and ctest skipped"
    exit 0
fi
case $mode in
build)
    classes=$3
    mkdir -p "$build"  # a clean checkout has no target/ yet at generate-resources
    cmake -S "$root/cmake" -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 \
        || { cat "$build.configure.log"; exit 1; }
    grep '^-- \[cuda\]' "$build.configure.log" || true
    cmake --build "$build" -j "$(nproc)" -- --no-print-directory
    if [[ -f $build/glimpse.fatbin ]]; then
        mkdir -p "$classes/dev/glimpse/backend/cuda"
        cp "$build/glimpse.fatbin" "$classes/dev/glimpse/backend/cuda/glimpse.fatbin"
    fi
    ;;
test)
    if [[ ${3:-} == true ]]; then
        echo "[cuda] ctest skipped (skipTests)"
        exit 0
    fi
    ctest --test-dir "$build" --output-on-failure
    ;;
*)
    echo "usage: maven.sh build BUILD_DIR CLASSES_DIR | test BUILD_DIR SKIP_TESTS" >&2
    exit 2
    ;;
esac
