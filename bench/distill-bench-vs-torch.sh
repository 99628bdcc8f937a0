#!/usr/bin/env bash
# `./prune4j bench distill` beside PyTorch doing the same step on the same synthetic shapes
# (bench/scripts/bench_distill_torch.py), alternating the two sides round by round; prints each round, the medians
# and the ratio (prune4j / PyTorch; above 1: prune4j is faster), of wall-clock tokens/s and of tokens per CPU-second
# (the process's CPU time, all threads: steadier than wall time on a shared machine). Extra arguments go to both sides
# (--hidden --layers --teacher-layers --heads --kv-heads --intermediate --vocab --batch --seq-len).
#   bench/distill-bench-vs-torch.sh [--rounds 3] [--threads 2] [--runs 9] [shape options]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=3; threads=2; runs=9; shape=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;; --threads) threads="$2"; shift 2 ;; --runs) runs="$2"; shift 2 ;;
    --hidden|--layers|--teacher-layers|--heads|--kv-heads|--intermediate|--vocab|--batch|--seq-len) shape+=("$1" "$2"); shift 2 ;;
    *) echo "distill-bench-vs-torch: unknown argument $1" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
"$py" -c 'import torch' 2>/dev/null || { echo "distill-bench-vs-torch: $py cannot import torch (apt-get install python3-torch)" >&2; exit 1; }
"$here/prune4j" bench distill --help >/dev/null   # builds the jar when sources changed
pick='import json,sys; j=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(j["tokens_per_s"], j["batch"] * j["seq_len"] / j["cpu_s_per_step"])'
ours=(); theirs=(); ourscpu=(); theirscpu=()
for r in $(seq "$rounds"); do
  read -r o oc < <("$here/prune4j" bench distill "${shape[@]}" --threads "$threads" --runs "$runs" --json 2>/dev/null | "$py" -c "$pick")
  read -r t tc < <(OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$py" "$here/bench/scripts/bench_distill_torch.py" "${shape[@]}" \
      --threads "$threads" --runs "$runs" | "$py" -c "$pick")
  printf 'round %s: prune4j %.0f tokens/s (%.0f per CPU-s), PyTorch %.0f tokens/s (%.0f per CPU-s)\n' "$r" "$o" "$oc" "$t" "$tc"
  ours+=("$o"); theirs+=("$t"); ourscpu+=("$oc"); theirscpu+=("$tc")
done
"$py" - "${ours[*]}" "${theirs[*]}" "${ourscpu[*]}" "${theirscpu[*]}" <<'PY'
import statistics, sys
o, t, oc, tc = ([float(x) for x in s.split()] for s in sys.argv[1:5])
per = lambda a, b: statistics.median([x / y for x, y in zip(a, b)])
print(f"median: prune4j {statistics.median(o):,.0f} tokens/s, PyTorch {statistics.median(t):,.0f} tokens/s, per-round ratio {per(o, t):.2f}; "
      f"per CPU-second: prune4j {statistics.median(oc):,.0f}, PyTorch {statistics.median(tc):,.0f}, ratio {per(oc, tc):.2f}")
PY
