#!/usr/bin/env bash
# The structured-pruning perplexity table of the README on stories260K (issue 10, protocols A and B).
#   bench/structured-stories.sh A|B [OUT_DIR]
# A: calibration = first 32 windows of 128 tokens of wikitext2-valid.txt (whole file, BOS once), batches of 8;
#    evaluation = first 64 windows of 128 tokens of wikitext2-test.txt.
# B: calibration = first 32 windows of 128 of tinystories-train-2mib.txt, evaluation = every window of 128 of
#    tinystories-valid-201.txt, both split at '<|endoftext|>' (BOS per document).
# Prints one markdown row per run: target, method, perplexity (random: mean and range of seeds 1-5).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proto="${1:?usage: structured-stories.sh A|B [OUT_DIR]}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
shared="$here/../shared"
model="$shared/models/stories260K"
[ -d "$model" ] || { echo "no $model (../shared is missing)" >&2; exit 1; }
p4j="${PRUNE4J:-$here/prune4j}"  # PRUNE4J=... runs another launcher (e.g. a frozen jar while sources change)
if [ "$proto" = A ]; then
  calib=(--calib "$shared/data/text/wikitext2-valid.txt")
  evalargs=(--text "$shared/data/text/wikitext2-test.txt" --seq-len 128 --windows 64 --batch 8)
else
  calib=(--calib "$shared/data/text/tinystories-train-2mib.txt" --doc-separator '<|endoftext|>')
  evalargs=(--text "$shared/data/text/tinystories-valid-201.txt" --doc-separator '<|endoftext|>' --seq-len 128 --batch 8)
fi
common=("${calib[@]}" --calib-samples 32 --seq-len 128 --calib-sampling first --batch 8)

ppl() { "$p4j" eval --model "$1" "${evalargs[@]}" --json 2>/dev/null | tail -1 | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["ppl"])'; }

run() { # name, method args..., then -- target args
  local name="$1"; shift
  "$p4j" prune --model "$model" "$@" "${common[@]}" --out "$out/$name" --force --json >"$out/$name.json" 2>"$out/$name.log"
  ppl "$out/$name"
}

echo "| target | method | perplexity |"
echo "|---|---|---|"
echo "| dense | - | $(ppl "$model") |"
targets=("num_attention_heads=4" "intermediate_size=128" "hidden_size=48" "num_hidden_layers=4")
for t in "${targets[@]}"; do
  key="${t%%=*}"
  methods=(minitron magnitude wanda)
  case "$key" in num_attention_heads) methods+=(taylor michel) ;; intermediate_size) methods+=(taylor) ;; esac
  for m in "${methods[@]}"; do
    [ "$m" = wanda ] && [ "$key" = num_hidden_layers ] && continue
    echo "| $t | $m | $(run "${key}-$m" --method "$m" --target "$t") |"
  done
  if [ "$key" = num_hidden_layers ]; then
    echo "| $t | minitron --depth-metric loss | $(run "${key}-loss" --method minitron --depth-metric loss --target "$t") |"
    echo "| $t | minitron --contiguous | $(run "${key}-contig" --method minitron --contiguous --target "$t") |"
  fi
  vals=()
  for s in 1 2 3 4 5; do vals+=("$(run "${key}-random$s" --method random --seed "$s" --target "$t")"); done
  echo "| $t | random (mean of 5 seeds, range) | $(python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print("%.2f (%.2f-%.2f)" % (sum(v)/len(v), min(v), max(v)))' "${vals[@]}") |"
done
for g in 2 1; do
  echo "| num_key_value_heads=$g | mean-pool | $(run "kv$g-meanpool" --target "num_key_value_heads=$g") |"
  echo "| num_key_value_heads=$g | minitron --kv-reduce prune | $(run "kv$g-prune" --method minitron --kv-reduce prune --target "num_key_value_heads=$g") |"
done
