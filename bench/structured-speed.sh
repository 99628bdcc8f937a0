#!/usr/bin/env bash
# Forward speed of structurally pruned models against the dense one (README table), interleaved per round.
#   bench/structured-speed.sh ROUNDS DENSE_DIR PRUNED_DIR...
# Runs `bench forward` prefill (4 x 256 tokens) and decode (16 steps after a 128-token prefill), 2 threads, on each
# model in turn, ROUNDS times, and prints the medians and the ratios to the first (dense) model of the same run.
# PREFILL / DECODE replace the two runs' shape options (defaults below); EXTRA is added to both (e.g. "--runs 3").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:?usage: structured-speed.sh ROUNDS DENSE_DIR PRUNED_DIR...}"; shift
p4j="${PRUNE4J:-$here/prune4j}"  # PRUNE4J=... runs another launcher (e.g. a frozen jar while sources change)
res="$(mktemp)"
for r in $(seq "$rounds"); do
  for m in "$@"; do
    p=$("$p4j" bench forward --model "$m" ${PREFILL:---batch 4 --seq-len 256} --threads 2 ${EXTRA:-} --json 2>/dev/null | tail -1)
    d=$("$p4j" bench forward --model "$m" ${DECODE:---batch 1 --seq-len 128} --decode --threads 2 ${EXTRA:-} --json 2>/dev/null | tail -1)
    echo -e "$m\t$p\t$d" >> "$res"
  done
done
python3 - "$res" "$1" <<'PY'
import json, sys, statistics, os
rows = {}
for line in open(sys.argv[1]):
    m, p, d = line.rstrip("\n").split("\t")
    p, d = json.loads(p), json.loads(d)
    rows.setdefault(m, []).append((p["tokens_per_s"], d["tokens_per_s"], p["parameters"]))
base = [statistics.median(x[i] for x in rows[sys.argv[2]]) for i in (0, 1)]
print("| model | parameters | prefill tokens/s | vs dense | decode tokens/s | vs dense |")
print("|---|---|---|---|---|---|")
for m in rows:
    med = [statistics.median(x[i] for x in rows[m]) for i in (0, 1)]
    print(f"| {os.path.basename(m)} | {rows[m][0][2]:,} | {med[0]:,.0f} | {med[0]/base[0]:.2f}x | {med[1]:,.1f} | {med[1]/base[1]:.2f}x |")
PY
rm -f "$res"
