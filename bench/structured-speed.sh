#!/usr/bin/env bash
# Forward speed of structurally pruned models against the dense one (README table), interleaved per round.
#   bench/structured-speed.sh [WORK_DIR] [ROUNDS]
# Writes a synthetic F32 Llama (hidden 1024, 8 layers, 16 heads / 4 KV heads, MLP 2816, vocab 8192) with
# `bench prune --structured --keep`, prunes it five ways with the data-free magnitude criterion (speed does not
# depend on the criterion), then runs `bench forward` prefill (1 x 128) and decode (16 steps after 128) on each
# model in turn, ROUNDS times, and prints the medians and the ratios to dense.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"; rounds="${2:-3}"
mkdir -p "$work"
p4j="${PRUNE4J:-$here/prune4j}"
kept=$("$p4j" bench prune --structured --method magnitude --hidden 1024 --layers 8 --vocab 8192 --calib-samples 1 --keep --dir "$work" --json 2>/dev/null \
  | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["kept"])')
dense="$kept/model"
declare -A models=([dense]="$dense" [heads8]="$kept/pruned")
variants=("intermediate_size=1408" "num_hidden_layers=4" "hidden_size=768" "num_key_value_heads=1")
for t in "${variants[@]}"; do
  name="${t%%=*}"
  extra=(--method magnitude); [ "$name" = num_key_value_heads ] && extra=()
  "$p4j" prune --model "$dense" "${extra[@]}" --target "$t" --out "$work/$name" --force >/dev/null 2>&1
  models[$name]="$work/$name"
done
order=(dense heads8 intermediate_size num_hidden_layers hidden_size num_key_value_heads)
res="$work/speed.tsv"; : > "$res"
for r in $(seq "$rounds"); do
  for m in "${order[@]}"; do
    p=$("$p4j" bench forward --model "${models[$m]}" --batch 1 --seq-len 128 --threads 2 --json 2>/dev/null | tail -1)
    d=$("$p4j" bench forward --model "${models[$m]}" --batch 1 --seq-len 128 --decode --threads 2 --json 2>/dev/null | tail -1)
    echo -e "$m\t$p\t$d" >> "$res"
  done
done
python3 - "$res" "$work" <<'PY'
import json, sys, statistics, os
rows = {}
for line in open(sys.argv[1]):
    m, p, d = line.rstrip("\n").split("\t")
    p, d = json.loads(p), json.loads(d)
    rows.setdefault(m, []).append((p["tokens_per_s"], d["tokens_per_s"], p["parameters"]))
names = {"dense": "dense", "heads8": "heads 16 -> 8 + MLP 2816 -> 1408", "intermediate_size": "MLP 2816 -> 1408",
         "num_hidden_layers": "layers 8 -> 4", "hidden_size": "hidden 1024 -> 768", "num_key_value_heads": "KV heads 4 -> 1 (mean-pool)"}
base = [statistics.median(x[i] for x in rows["dense"]) for i in (0, 1)]
print("| model | parameters | prefill tokens/s | vs dense | decode tokens/s | vs dense |")
print("|---|---|---|---|---|---|")
for m in rows:
    med = [statistics.median(x[i] for x in rows[m]) for i in (0, 1)]
    print(f"| {names.get(m, m)} | {rows[m][0][2]/1e6:.1f}M | {med[0]:,.0f} | {med[0]/base[0]:.2f}x | {med[1]:,.1f} | {med[1]/base[1]:.2f}x |")
PY
