#!/usr/bin/env bash
# Prefill throughput of prune4j beside PyTorch (Debian python3-torch 1.13 on OpenBLAS) for the same model and shapes.
#
#   bench/forward-vs-torch.sh --model DIR [--batch B] [--seq-len L] [--threads T] [--rounds N]
#   bench/forward-vs-torch.sh --synthetic DIR [--hidden 2048 --layers 8 --heads 16 --kv-heads 16 --intermediate 5632 --vocab 32000] ...
#
# --synthetic writes a random F32 checkpoint of that shape into DIR first (once; reused when it exists), so both
# sides load the same files. The two are measured in alternating rounds (the machines are shared: noise hits both
# alike) and the ratio of their medians is printed. Both print one JSON line per round; the summary is the last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="" synth="" batch=1 seq=128 threads=2 rounds=3
shape=()
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --synthetic) synth="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --seq-len) seq="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --hidden|--layers|--heads|--kv-heads|--intermediate|--vocab) shape+=("$1" "$2"); shift 2 ;;
    *) echo "forward-vs-torch: unknown argument $1" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then echo "forward-vs-torch: $py cannot import torch (apt-get install python3-torch)" >&2; exit 1; fi
# OpenBLAS tuning variables set for other tools would slow torch's GEMMs down (see shared/BUILD-NOTES.md)
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$threads")
if [ -n "$synth" ]; then
  [ -f "$synth/model.safetensors" ] || "${torch_env[@]}" "$py" "$here/bench/scripts/torch_forward.py" --make-synthetic "$synth" "${shape[@]}" >&2
  model="$synth"
fi
[ -n "$model" ] || { echo "forward-vs-torch: give --model DIR or --synthetic DIR" >&2; exit 2; }

p4=() pt=()
for r in $(seq 1 "$rounds"); do
  j=$("$here/prune4j" bench forward --model "$model" --batch "$batch" --seq-len "$seq" --threads "$threads" --runs 5 --json | tail -n1)
  echo "prune4j $j"; p4+=("$(echo "$j" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])')")
  j=$("${torch_env[@]}" "$py" "$here/bench/scripts/torch_forward.py" --model "$model" --batch "$batch" --seq-len "$seq" --threads "$threads" --runs 5 | tail -n1)
  echo "torch   $j"; pt+=("$(echo "$j" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])')")
done
"$py" - "${p4[*]}" "${pt[*]}" "$batch" "$seq" "$threads" <<'PY'
import json, statistics, sys
p4 = [float(x) for x in sys.argv[1].split()]; pt = [float(x) for x in sys.argv[2].split()]
a, b = statistics.median(p4), statistics.median(pt)
print(json.dumps({"batch": int(sys.argv[3]), "seq_len": int(sys.argv[4]), "threads": int(sys.argv[5]),
                  "prune4j_tokens_per_s": a, "torch_tokens_per_s": b, "ratio": round(a / b, 3)}))
PY
