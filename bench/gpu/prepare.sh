#!/usr/bin/env bash
# Fills bench/gpu/carry/ (git-ignored) with what run.sh needs on the GPU machine: the engine jar
# with the full fatbin (sm_80/86/89/90 + PTX), the Jackson jars its manifest names under lib/ (the
# end-to-end part reads and writes config.json; OpenCV stays behind), the ptxas report, and the
# carried JDK.
# Run on the build machine (nvcc needed, no GPU needed) before the device call.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH=$JAVA_HOME/bin:$PATH
(cd "$root" && mvn -B -q -DskipTests package -pl java)
# unzip -l NAME: status 0 when the entry is there (no grep -q: it would close the pipe early under pipefail).
if ! unzip -l "$root/java/target/glimpse.jar" dev/glimpse/backend/cuda/glimpse.fatbin >/dev/null; then
    echo "the jar has no glimpse.fatbin: nvcc was not found by cmake/ (see java/target/cuda.configure.log)" >&2
    exit 1
fi
mkdir -p "$here/carry"
cp "$root/java/target/glimpse.jar" "$here/carry/glimpse.jar"
rm -rf "$here/carry/lib"
mkdir -p "$here/carry/lib"
cp "$root"/java/target/lib/jackson-*.jar "$here/carry/lib/"
cp "$root/java/target/cuda/ptxas-report.txt" "$here/carry/ptxas-report.txt"
[[ -f $here/carry/jdk.tar.xz ]] || "$here/make-jdk.sh"
du -sh "$here/carry"
