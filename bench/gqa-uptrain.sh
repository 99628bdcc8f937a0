#!/usr/bin/env bash
# GQA uptraining (Ainslie et al.) on stories260K: `prune --target num_key_value_heads=G` mean-pools the 4 KV heads
# into G, then the converted model is trained back two ways with the same loop, data, steps and rate:
#   KD from the original (distill, forward KL at T = 1), and plain next-token LM training (distill --loss ce,
#   which is what `train --init` runs, here with --eval/--log).
# Data: tinystories-train-2mib.txt; eval perplexity on the first --eval-windows windows of tinystories-valid-201.txt
# every --eval-every steps; both split at <|endoftext|>. Prints a markdown table (step vs eval ppl of both) and, with
# --svg FILE, draws the two curves with the report module's plotter. Resumable: finished runs are kept in --work.
#   bench/gqa-uptrain.sh [--kv-heads 1] [--steps 120] [--eval-every 10] [--batch 8] [--seq-len 128] [--lr 1e-3]
#                        [--eval-windows 64] [--threads 2] [--work DIR] [--svg docs/gqa-uptrain.svg]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared"
g=1; steps=120; every=10; batch=8; len=128; lr=1e-3; windows=64; threads=2; work=""; svg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kv-heads) g="$2"; shift 2 ;; --steps) steps="$2"; shift 2 ;; --eval-every) every="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;; --seq-len) len="$2"; shift 2 ;; --lr) lr="$2"; shift 2 ;;
    --eval-windows) windows="$2"; shift 2 ;; --threads) threads="$2"; shift 2 ;; --work) work="$2"; shift 2 ;;
    --svg) svg="$2"; shift 2 ;;
    *) echo "gqa-uptrain: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$shared/models/stories260K" ] || { echo "gqa-uptrain: $shared/models/stories260K is missing (the shared reference data)" >&2; exit 1; }
[ -n "$work" ] || work="$(mktemp -d)"
mkdir -p "$work"
teacher="$shared/models/stories260K"
train="$shared/data/text/tinystories-train-2mib.txt"; valid="$shared/data/text/tinystories-valid-201.txt"; sep='<|endoftext|>'
if [ ! -f "$work/prune4j.jar" ]; then   # one copy of the jar for the whole run
  "$here/prune4j" info --model "$teacher" --json >/dev/null
  cp "$here/cli/target/prune4j.jar" "$work/prune4j.jar"
fi
J="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
p4j() { "$J" -Xmx8g -Xmn1g -Xss4m --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
          -XX:-UseAdaptiveSizePolicy -jar "$work/prune4j.jar" "$@" 2>>"$work/stderr.log"; }

s="$work/kv$g"
[ -d "$s" ] || p4j prune --model "$teacher" --target "num_key_value_heads=$g" --out "$s" --json > "$s.prune.json"
common=(--student "$s" --data "$train" --doc-separator "$sep" --seq-len "$len" --batch "$batch" --steps "$steps" --lr "$lr"
        --temperature 1 --weight-decay 0 --schedule constant --data-sampling first --threads "$threads"
        --eval "$valid" --eval-every "$every" --eval-windows "$windows" --json)
for r in kd lm; do
  [ -d "$s.$r" ] && continue
  echo "gqa-uptrain: $r, $steps steps" >&2
  rm -f "$s.$r.jsonl"
  case "$r" in kd) extra=(--teacher "$teacher") ;; lm) extra=(--loss ce) ;; esac
  p4j distill "${common[@]}" "${extra[@]}" --log "$s.$r.jsonl" --out "$s.$r" > "$s.$r.json"
done
# the teacher on the same windows (distill's evaluation: the first windows of the text)
[ -s "$work/teacher.ppl" ] || p4j eval --model "$teacher" --text "$valid" --doc-separator "$sep" --seq-len "$len" --windows "$windows" --batch "$batch" \
  --threads "$threads" --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["ppl"])' > "$work/teacher.ppl"

python3 - "$s" "$steps" "$(cat "$work/teacher.ppl")" "$g" <<'PY'
import json, sys
s, steps, teacher, g = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
curves = {}
for r in ("kd", "lm"):
    last = json.loads(open(f"{s}.{r}.json").read().strip().splitlines()[-1])
    c = {0: last["eval_ppl_before"]}
    for line in open(f"{s}.{r}.jsonl"):
        j = json.loads(line)
        if "eval_ppl" in j: c[j["step"]] = j["eval_ppl"]
    c[last["steps"]] = last["eval_ppl"]
    curves[r] = c
print(f"| step | KD from the original (ppl) | LM loss, `--loss ce` (ppl) |")
print("|---|---|---|")
for st in sorted(set(curves["kd"]) | set(curves["lm"])):
    f = lambda r: f"{curves[r][st]:.2f}" if st in curves[r] else ""
    print(f"| {st} | {f('kd')} | {f('lm')} |")
print(f"| teacher (4 KV heads) | {teacher:.2f} | |")
PY
if [ -n "$svg" ]; then
  "$J" -cp "$work/prune4j.jar" "$here/bench/scripts/PlotCurves.java" "$svg" "stories260K, KV heads 4 -> $g (mean-pool): uptraining" \
    "KD from the original=$s.kd.json:$s.kd.jsonl" "LM loss (--loss ce)=$s.lm.json:$s.lm.jsonl" "teacher=$(cat "$work/teacher.ppl")"
  echo "gqa-uptrain: wrote $svg" >&2
fi
