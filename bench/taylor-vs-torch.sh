#!/usr/bin/env bash
# Taylor's (and Michel's) per-token cost beside PyTorch's on the same model and windows, and the same scores.
#
#   bench/taylor-vs-torch.sh --synthetic DIR [--hidden 512 --layers 4 --heads 8 --kv-heads 8 --intermediate 1376 --vocab 4096] \
#                            [--samples 16] [--seq-len 128] [--batch 8] [--threads 2] [--rounds 3]
#   bench/taylor-vs-torch.sh --model DIR --calib ids.json ...      (ids.json: a token stream, e.g. from prune4j tokenize)
#
# Each round runs `prune4j scores --methods taylor@group-agg=mean,taylor,michel` (a fresh JVM; the first, discarded
# taylor pass warms the JIT up, so taylor and michel are both timed on compiled code: listed first, either one paid
# the warm-up alone, which had made taylor look ~6x as costly as michel per token) and
# bench/scripts/torch_taylor.py (LLM-Pruner's Taylor and Michel's head importance in torch autograd), alternating,
# so the noise of a shared machine hits both alike. Prints each round, then one JSON line: the medians of microseconds
# per calibration token for taylor (gradient pass + unit scores) and michel, their ratios, and how far the scores of
# the two implementations are apart (largest difference relative to the largest score, Spearman of the two).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="" synth="" calib="" samples=16 seq=128 batch=8 threads=2 rounds=3
shape=()
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --synthetic) synth="$2"; shift 2 ;;
    --calib) calib="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    --seq-len) seq="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --hidden|--layers|--heads|--kv-heads|--intermediate|--vocab) shape+=("$1" "$2"); shift 2 ;;
    *) echo "taylor-vs-torch: unknown argument $1" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then echo "taylor-vs-torch: $py cannot import torch (apt-get install python3-torch)" >&2; exit 1; fi
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$threads")
if [ -n "$synth" ]; then
  [ ${#shape[@]} -gt 0 ] || shape=(--hidden 512 --layers 4 --heads 8 --kv-heads 8 --intermediate 1376 --vocab 4096)
  [ -f "$synth/model.safetensors" ] || "${torch_env[@]}" "$py" "$here/bench/scripts/torch_forward.py" --make-synthetic "$synth" "${shape[@]}" >&2
  model="$synth"
  if [ -z "$calib" ]; then
    calib="$synth/calib-ids.json"
    vocab=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$synth/config.json")
    [ -f "$calib" ] || "$py" "$here/bench/scripts/torch_taylor.py" --random-ids "$calib" --vocab "$vocab" --count $((samples * seq))
  fi
fi
[ -n "$model" ] && [ -n "$calib" ] || { echo "taylor-vs-torch: give --synthetic DIR, or --model DIR --calib ids.json" >&2; exit 2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

p4t=() p4m=() ptt=() ptm=()
for r in $(seq 1 "$rounds"); do
  j=$("$here/prune4j" scores --model "$model" --calib "$calib" --calib-samples "$samples" --seq-len "$seq" --batch "$batch" \
      --methods taylor@group-agg=mean,taylor,michel --bootstrap 0 --threads "$threads" --out "$work/p4" --force --json 2>/dev/null | tail -n1)
  echo "prune4j $j" | cut -c1-300
  p4t+=("$(echo "$j" | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(d["seconds_per_method"]["taylor"])')")
  p4m+=("$(echo "$j" | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(d["seconds_per_method"]["michel"])')")
  j=$("${torch_env[@]}" "$py" "$here/bench/scripts/torch_taylor.py" --model "$model" --windows "$calib" --samples "$samples" --seq-len "$seq" \
      --batch "$batch" --threads "$threads" --out "$work/torch.json" | tail -n1)
  echo "torch   $j"
  ptt+=("$(echo "$j" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["taylor_seconds"])')")
  ptm+=("$(echo "$j" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["michel_seconds"])')")
done
"$py" - "${p4t[*]}" "${p4m[*]}" "${ptt[*]}" "${ptm[*]}" "$((samples * seq))" "$work/p4/scores.json" "$work/torch.json" "$threads" <<'PY'
import json, statistics, sys
med = lambda s: statistics.median(float(x) for x in s.split())
p4t, p4m, ptt, ptm = (med(sys.argv[i]) for i in range(1, 5))
tokens = int(sys.argv[5])
ours, ref = json.load(open(sys.argv[6]))["scores"], json.load(open(sys.argv[7]))

def spearman(a, b):
    def ranks(x):
        o = sorted(range(len(x)), key=lambda i: x[i]); r = [0.0] * len(x); i = 0
        while i < len(o):
            j = i
            while j + 1 < len(o) and x[o[j + 1]] == x[o[i]]: j += 1
            for k in range(i, j + 1): r[o[k]] = (i + j) / 2 + 1
            i = j + 1
        return r
    ra, rb = ranks(a), ranks(b); ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    sab = sum((x - ma) * (y - mb) for x, y in zip(ra, rb)); saa = sum((x - ma) ** 2 for x in ra); sbb = sum((y - mb) ** 2 for y in rb)
    return sab / (saa * sbb) ** 0.5 if saa and sbb else float("nan")

agree = {}
for crit in ("taylor", "michel"):
    for kind, rows in ref[crit].items():
        a = [x for r in ours[crit][kind] for x in r]; b = [x for r in rows for x in r]
        agree[f"{crit}/{kind}"] = {"max_rel_diff": max(abs(x - y) for x, y in zip(a, b)) / max(abs(y) for y in b), "spearman": round(spearman(a, b), 6)}
print(json.dumps({"tokens": tokens, "threads": int(sys.argv[8]),
                  "taylor_us_per_token": {"prune4j": round(1e6 * p4t / tokens, 1), "torch": round(1e6 * ptt / tokens, 1), "ratio": round(p4t / ptt, 3)},
                  "michel_us_per_token": {"prune4j": round(1e6 * p4m / tokens, 1), "torch": round(1e6 * ptm / tokens, 1), "ratio": round(p4m / ptm, 3)},
                  "scores_agree": agree}))
PY
