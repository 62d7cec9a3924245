#!/usr/bin/env bash
# Makes the small JDK the GPU suite carries to a machine without Java: a jlink image of java.base
# and jdk.incubator.vector (FFM is in java.base), packed as bench/gpu/carry/jdk.tar.xz (~15 MB).
# Needs JDK 25 (JAVA_HOME, or the usual install folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$java_home/bin/jlink" --add-modules java.base,jdk.incubator.vector --strip-debug --no-man-pages \
    --no-header-files --compress=zip-9 --output "$work/jdk"
mkdir -p "$here/carry"
tar -C "$work" -cJf "$here/carry/jdk.tar.xz" jdk
echo "wrote $here/carry/jdk.tar.xz ($(du -h "$here/carry/jdk.tar.xz" | cut -f1))"
