#!/usr/bin/env bash
# distill step throughput beside PyTorch on the same recipe and files (bench/scripts/distill_torch.py), alternating
# rounds; prints each side's tokens/s per round, the medians and the ratio. Both sides time the training loop only
# (teacher forward, student forward and backward, clipping, AdamW), not loading.
#   bench/distill-vs-torch.sh --teacher DIR --student DIR --data TEXT [--steps 10] [--rounds 3] [--batch 8] [--seq-len 128] [--threads 2]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps=10; rounds=3; batch=8; len=128; threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --teacher) teacher="$2"; shift 2 ;; --student) student="$2"; shift 2 ;; --data) data="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;; --rounds) rounds="$2"; shift 2 ;; --batch) batch="$2"; shift 2 ;;
    --seq-len) len="$2"; shift 2 ;; --threads) threads="$2"; shift 2 ;;
    *) echo "distill-vs-torch: unknown argument $1" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
"$py" -c 'import torch' 2>/dev/null || { echo "distill-vs-torch: $py cannot import torch (apt-get install python3-torch)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$here/prune4j" tokenize --tokenizer "$student" --text "$data" --out "$work/ids.json" >/dev/null 2>&1
ours=(); theirs=()
for r in $(seq "$rounds"); do
  j=$("$here/prune4j" distill --teacher "$teacher" --student "$student" --data "$work/ids.json" --seq-len "$len" --batch "$batch" --steps "$steps" \
      --lr 1e-3 --schedule constant --threads "$threads" --out "$work/out" --force --json 2>/dev/null | tail -1)
  o=$(echo "$j" | "$py" -c 'import json,sys; j=json.load(sys.stdin); print(j["tokens"]/j["seconds"])')
  t=$(OPENBLAS_NUM_THREADS="$threads" "$py" "$here/bench/scripts/distill_torch.py" --teacher "$teacher" --student "$student" --tokens "$work/ids.json" \
      --seq-len "$len" --batch "$batch" --steps "$steps" --lr 1e-3 --threads "$threads" | tail -1 | "$py" -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])')
  echo "round $r: prune4j $o tokens/s, PyTorch $t tokens/s"
  ours+=("$o"); theirs+=("$t")
done
"$py" - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
o = [float(x) for x in sys.argv[1].split()]; t = [float(x) for x in sys.argv[2].split()]
mo, mt = statistics.median(o), statistics.median(t)
print(f"median: prune4j {mo:,.0f} tokens/s, PyTorch {mt:,.0f} tokens/s, ratio {mo / mt:.2f}")
PY
