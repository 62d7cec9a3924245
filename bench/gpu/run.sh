#!/usr/bin/env bash
# The GPU suite, for a machine with an NVIDIA GPU and driver and no Java (nvcc not needed):
# unpacks the carried JDK, measures the bf16 GEMM peak with torch when python3 has it, then runs
# dev.glimpse.backend.cuda.GpuSuite from the carried jar: every kernel against the CPU oracles
# ("N passed, N failed"), kernel timings against the measured limits, and 7B decode tokens/s; then
# dev.glimpse.generate.GpuEndToEnd: the model code on a 7B-shaped random checkpoint, GPU against
# CPU, and tokens/s through Session. Logs go to $OUT (the device tool's folder) or bench/gpu/out.
# Extra arguments go to GpuSuite (--skip-timing, --layers N), except --skip-e2e. SANITIZE=1 runs the
# kernel checks only, under compute-sanitizer memcheck (out-of-bounds and misaligned accesses).
# Prepare the carry folder first: bench/gpu/prepare.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
carry=$here/carry
out=${OUT:-$here/out}
mkdir -p "$out"
for f in glimpse.jar jdk.tar.xz; do
    [[ -f $carry/$f ]] || { echo "missing $carry/$f: run bench/gpu/prepare.sh and carry bench/gpu/carry"; exit 2; }
done
jdk=/tmp/glimpse-jdk
if [[ ! -x $jdk/bin/java ]]; then
    mkdir -p "$jdk"
    tar -xJf "$carry/jdk.tar.xz" -C "$jdk" --strip-components=1 2>/dev/null \
        || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$carry/jdk.tar.xz" /tmp \
        || { echo "cannot unpack $carry/jdk.tar.xz (no xz and no python3)"; exit 2; }
    [[ -x $jdk/bin/java ]] || mv /tmp/jdk/* "$jdk"/
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,temperature.gpu,power.draw \
    --format=csv 2>&1 | tee "$out/nvidia-smi.txt"

peak=$(timeout 90 python3 - <<'PY' 2>"$out/gemm-peak.err"
import torch
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
for _ in range(3):
    a @ b
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
times = []
for _ in range(10):
    start.record(); a @ b; end.record(); end.synchronize()
    times.append(start.elapsed_time(end))
times.sort()
print(f"{2 * 8192**3 / times[len(times) // 2] / 1e9:.1f}")
PY
)
args=()
if [[ -n $peak ]]; then
    args+=(--gemm-peak-tflops "$peak")
else
    echo "bf16 GEMM peak not measured (torch missing or failed: $out/gemm-peak.err)"
fi
launcher=()
if [[ ${SANITIZE:-0} == 1 ]]; then
    launcher=(compute-sanitizer --tool memcheck --error-exitcode 3 --print-limit 20)
    args+=(--skip-timing)
fi
end_to_end=1
for a in "$@"; do
    case $a in
    --skip-e2e) end_to_end=0 ;;
    *) args+=("$a") ;;
    esac
done
[[ ${SANITIZE:-0} == 1 ]] && end_to_end=0
java=("$jdk/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$carry/glimpse.jar")
timeout 200 "${launcher[@]}" "${java[@]}" dev.glimpse.backend.cuda.GpuSuite "${args[@]}" 2>&1 | tee "$out/gpu-suite.log"
status=${PIPESTATUS[0]}
kernels=$(grep -E '^summary: ' "$out/gpu-suite.log" | tail -1)
if [[ $end_to_end == 1 ]]; then
    echo
    echo "== end to end: the model code on a 7B-shaped random checkpoint, GPU against CPU =="
    timeout 160 "${java[@]}" dev.glimpse.generate.GpuEndToEnd 2>&1 | tee "$out/gpu-e2e.log"
    e2e_status=${PIPESTATUS[0]}
    (( status == 0 )) && status=$e2e_status
    echo
    echo "kernels ${kernels:-summary: missing (the suite stopped early)}; $(grep -E '^end-to-end: ' "$out/gpu-e2e.log" | tail -1)"
fi
[[ -f $carry/ptxas-report.txt ]] && cp "$carry/ptxas-report.txt" "$out/"
exit "$status"
