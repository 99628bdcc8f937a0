#!/usr/bin/env bash
# Compares prune4j's SGEMM and SGEMV with numpy + OpenBLAS on this machine, in one run, on the same shapes:
#   SGEMM m=n=k=1024, m=n=k=2048, m=512 k=2048 n=5632 (an LLM MLP projection); SGEMV W[4096,4096] @ x,
# N:M-compressed GEMV (prune4j bench sparse, 2:4 and 4:8) beside OpenBLAS's dense SGEMV of the same shape,
# with 1 and 2 threads (override: THREADS="1 2 4", GEMM="m n k;m n k", GEMV="n k"). Each side reports the median of several timed runs after
# warm-up; the two sides alternate per shape for ROUNDS rounds (default 3) and the median over rounds is compared,
# so load from other processes hits both alike. Prints a table with prune4j / OpenBLAS per shape, by wall time and by
# process CPU time (the latter is what other processes on a shared machine cannot take away).
#
# Needs Debian's python3-numpy and libopenblas0-pthread (installed with apt-get when missing). OpenBLAS runs with
# OPENBLAS_NUM_THREADS = threads and with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment, so it
# picks its own kernels for this CPU.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
PY=/usr/bin/python3
THREADS="${THREADS:-1 2}"
ROUNDS="${ROUNDS:-3}"
IFS=';' read -r -a GEMM_SHAPES <<<"${GEMM:-1024 1024 1024;2048 2048 2048;512 5632 2048}"   # "m n k;..."
IFS=';' read -r -a GEMV_SHAPES <<<"${GEMV:-4096 4096}"                                      # "n k;..."
NM_PATTERNS="${NM:-2:4 4:8}"   # N:M-compressed GEMV on the GEMV shapes (bench sparse), beside OpenBLAS's dense SGEMV

# ---------------------------------------------------------------- dependencies
have_numpy() { [ -x "$PY" ] && "$PY" -c 'import numpy' >/dev/null 2>&1; }
have_openblas() { ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 /usr/lib/*/openblas-pthread/libblas.so.3 >/dev/null 2>&1; }
if ! have_numpy || ! have_openblas; then
  echo "compare-blas: installing python3-numpy libopenblas0-pthread ..." >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-numpy libopenblas0-pthread >&2
fi
have_numpy || { echo "compare-blas: $PY cannot import numpy after installing python3-numpy" >&2; exit 1; }

# ---------------------------------------------------------------- the numpy side
numpy_bench() { # threads kind sizes... -> one JSON line
  local t="$1"; shift
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$t" "$PY" - "$@" <<'EOF'
import json, sys, time
import numpy as np

def measure(f, min_runs, seconds=0.5, warm=0.5):
    """median wall seconds per call, mean process-CPU seconds per call (all threads), runs"""
    end = time.perf_counter() + warm
    i = 0
    while i < 3 or time.perf_counter() < end:
        f(); i += 1
    ts, start, cpu0 = [], time.perf_counter(), time.process_time()
    while len(ts) < min_runs or (time.perf_counter() - start < seconds and len(ts) < 10 * min_runs):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / len(ts)
    ts.sort()
    n = len(ts)
    return (ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2), cpu, n

rng = np.random.default_rng(1)
kind = sys.argv[1]
if kind == "gemm":
    m, n, k = map(int, sys.argv[2:5])
    a = rng.standard_normal((m, k), dtype=np.float32); b = rng.standard_normal((k, n), dtype=np.float32)
    s, cpu, runs = measure(lambda: a @ b, 9)
    f = 2.0 * m * n * k
    print(json.dumps({"gflops": f / s / 1e9, "ms": s * 1e3, "cpu_gflops": f / cpu / 1e9, "runs": runs}))
else:
    n, k = map(int, sys.argv[2:4])
    w = rng.standard_normal((n, k), dtype=np.float32); x = rng.standard_normal(k, dtype=np.float32)
    s, cpu, runs = measure(lambda: w @ x, 9)
    print(json.dumps({"gbps": 4.0 * n * k / s / 1e9, "gflops": 2.0 * n * k / s / 1e9, "ms": s * 1e3, "cpu_gbps": 4.0 * n * k / cpu / 1e9, "runs": runs}))
EOF
}

blas_lib="$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" -c '
import numpy as np
np.ones((64, 64), dtype=np.float32) @ np.ones((64, 64), dtype=np.float32)
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.split()[-1]})
print(", ".join(libs) or "unknown")')"

# ---------------------------------------------------------------- the prune4j side
PRUNE4J="$root/prune4j"
"$PRUNE4J" --version >/dev/null   # builds the jar first, outside the timings
ours_bench() { # threads kind sizes... -> the JSON line of ./prune4j bench
  local t="$1" kind="$2"; shift 2
  if [ "$kind" = nm ]; then
    "$PRUNE4J" bench sparse --nm "$3" --n "$1" --k "$2" --threads "$t" --json 2>/dev/null | tail -n 1
  elif [ "$kind" = gemm ]; then
    "$PRUNE4J" bench gemm --m "$1" --n "$2" --k "$3" --threads "$t" --json 2>/dev/null | tail -n 1
  else
    "$PRUNE4J" bench gemv --n "$1" --k "$2" --threads "$t" --json 2>/dev/null | tail -n 1
  fi
}

# ---------------------------------------------------------------- run, interleaved
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
echo "compare-blas: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start; BLAS: $blas_lib" >&2
for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    for s in "${GEMM_SHAPES[@]}"; do
      set -- $s
      echo "compare-blas: round $round/$ROUNDS threads $t gemm $1x$2x$3" >&2
      echo "ours gemm $t $1 $2 $3 $(ours_bench "$t" gemm "$1" "$2" "$3")" >>"$results"
      echo "blas gemm $t $1 $2 $3 $(numpy_bench "$t" gemm "$1" "$2" "$3")" >>"$results"
    done
    for s in "${GEMV_SHAPES[@]}"; do
      set -- $s
      echo "compare-blas: round $round/$ROUNDS threads $t gemv $1x$2" >&2
      echo "ours gemv $t $1 $2 - $(ours_bench "$t" gemv "$1" "$2")" >>"$results"
      echo "blas gemv $t $1 $2 - $(numpy_bench "$t" gemv "$1" "$2")" >>"$results"
      for nm in $NM_PATTERNS; do
        echo "compare-blas: round $round/$ROUNDS threads $t N:M $nm gemv $1x$2" >&2
        echo "ours nm $t $1 $2 $nm $(ours_bench "$t" nm "$1" "$2" "$nm")" >>"$results"
        echo "blas nm $t $1 $2 $nm $(numpy_bench "$t" gemv "$1" "$2")" >>"$results"
      done
    done
  done
done
echo "compare-blas: load $(cut -d' ' -f1-3 /proc/loadavg) at end" >&2

# ---------------------------------------------------------------- table
"$PY" - "$results" "$ROUNDS" <<'EOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, kind, t, a, b, c, js = line.split(" ", 6)
    d = json.loads(js)
    key = (kind, int(t), a, b, c)
    if kind == "nm" and side == "ours":   # dense-equivalent GB/s: the dense F32 bytes over the N:M kernel's time
        wall, cpu = 4.0 * int(a) * int(b) / (d["nm_ms"] / 1e3) / 1e9, 0.0
    else:
        wall = d["gflops"] if kind == "gemm" else d["gbps"]
        cpu = d.get("cpu_gflops" if kind == "gemm" else "cpu_gbps", 0.0) if kind != "nm" else 0.0
    r = rows.setdefault(key, {"ours": [], "blas": [], "ours_cpu": [], "blas_cpu": []})
    r[side].append(wall)
    r[side + "_cpu"].append(cpu)
print(f"{'shape':<26}{'threads':>8}{'prune4j':>11}{'OpenBLAS':>11}{'ratio':>7}   {'per CPU-s: prune4j':>19}{'OpenBLAS':>10}{'ratio':>7}")
for (kind, t, a, b, c), v in sorted(rows.items(), key=lambda kv: ({"gemm": 0, "gemv": 1}.get(kv[0][0], 2), kv[0][1], kv[0][2:])):
    med = {s: statistics.median(v[s]) for s in v}
    shape = f"gemm m={a} n={b} k={c}" if kind == "gemm" else f"gemv n={a} k={b}" if kind == "gemv" else f"{c} gemv n={a} k={b}"
    cr = med["ours_cpu"] / med["blas_cpu"] if med["blas_cpu"] > 0 else float("nan")
    print(f"{shape:<26}{t:>8}{med['ours']:>11.1f}{med['blas']:>11.1f}{med['ours'] / med['blas']:>7.2f}   {med['ours_cpu']:>19.1f}{med['blas_cpu']:>10.1f}{cr:>7.2f}")
print("(N:M rows: prune4j's compressed GEMV in dense-equivalent GB/s, 4 n k / time, beside OpenBLAS's dense SGEMV; no CPU column)")
print(f"(GEMM in GFLOP/s, GEMV in GB/s of weights; median over {sys.argv[2]} interleaved rounds, each the median of timed runs")
print(" after warm-up; 'per CPU-s' divides by the process CPU time instead of wall time, which on a shared machine")
print(" removes time spent waiting for a core; ratio = prune4j / OpenBLAS)")
EOF
