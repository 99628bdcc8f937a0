#!/usr/bin/env bash
# Minitron's comparison, in domain on TinyStories: stories260K pruned by each structured target of `prune --target`
# (minitron criterion; KV heads by mean-pooling), each student recovered by KD, CE fine-tuning, LoRA (+ KD) and KD +
# hidden cosine, all with the same steps; perplexity on the first --eval-windows windows (default 128; 0: all) of
# --seq-len tokens of tinystories-valid-201.txt.
# Calibration and training data: tinystories-train-2mib.txt; both split at <|endoftext|> (BOS per document).
# Prints a markdown table (one row per target, one column per recipe). Resumable: every model and number is kept in
# --work, and a rerun with the same --work skips what is there.
#   bench/distill-table.sh [--steps 100] [--batch 8] [--seq-len 128] [--lr 1e-3] [--threads 2] [--work DIR]
#                          [--eval-windows 128] [--targets "num_attention_heads=4 ..."] [--recipes "kd ce lora hidden"]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared"
steps=100; batch=8; len=128; lr=1e-3; threads=2; work=""; windows=128
targets="num_attention_heads=4 num_key_value_heads=2 intermediate_size=128 hidden_size=48 num_hidden_layers=4"
recipes="kd ce lora hidden"
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;; --batch) batch="$2"; shift 2 ;; --seq-len) len="$2"; shift 2 ;; --lr) lr="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;; --work) work="$2"; shift 2 ;; --targets) targets="$2"; shift 2 ;;
    --recipes) recipes="$2"; shift 2 ;; --eval-windows) windows="$2"; shift 2 ;;
    *) echo "distill-table: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$shared/models/stories260K" ] || { echo "distill-table: $shared/models/stories260K is missing (the shared reference data)" >&2; exit 1; }
[ -n "$work" ] || work="$(mktemp -d)"
mkdir -p "$work"
teacher="$shared/models/stories260K"
train="$shared/data/text/tinystories-train-2mib.txt"; valid="$shared/data/text/tinystories-valid-201.txt"; sep='<|endoftext|>'

# one copy of the jar for the whole run, so that editing sources meanwhile does not rebuild it under us
if [ ! -f "$work/prune4j.jar" ]; then
  "$here/prune4j" info --model "$teacher" --json >/dev/null   # builds the jar when sources changed
  cp "$here/cli/target/prune4j.jar" "$work/prune4j.jar"
fi
J="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
p4j() { "$J" -Xmx8g -Xmn1g -Xss4m --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
          -XX:-UseAdaptiveSizePolicy -jar "$work/prune4j.jar" "$@" 2>>"$work/stderr.log"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }

ppl() { # model [cache file] -> perplexity on every window of valid (cached in MODEL.ppl)
  local c="${2:-$1.ppl}"
  [ -s "$c" ] || p4j eval --model "$1" --text "$valid" --doc-separator "$sep" --seq-len "$len" --windows "$windows" --batch 8 --threads "$threads" --json \
    | field ppl > "$c"
  printf '%.2f' "$(cat "$c")"
}
params() { p4j info --model "$1" --json | field parameters; }

common=(--teacher "$teacher" --data "$train" --doc-separator "$sep" --seq-len "$len" --batch "$batch" --steps "$steps" --lr "$lr"
        --temperature 1 --weight-decay 0 --schedule constant --data-sampling first --threads "$threads" --json)
recover() { # student recipe -> perplexity after recovery (the model kept in STUDENT.RECIPE)
  local s="$1" r="$2" args
  case "$r" in
    kd) args=() ;;
    ce) args=(--loss ce) ;;
    lora) args=(--lora-rank 8 --lora-alpha 16) ;;
    hidden) args=(--hidden-loss cosine --hidden-weight 1) ;;   # the layer map comes from the student's metadata
    *) echo "distill-table: unknown recipe $r" >&2; exit 2 ;;
  esac
  if [ ! -d "$s.$r" ]; then
    echo "distill-table: $(basename "$s") + $r, $steps steps" >&2
    p4j distill "${common[@]}" --student "$s" "${args[@]}" --log "$s.$r.jsonl" --out "$s.$r" > "$s.$r.json"
  fi
  ppl "$s.$r"
}

header="| target | parameters | pruned, no recovery |"; rule="|---|---|---|"
for r in $recipes; do
  case "$r" in kd) n="KD" ;; ce) n="CE fine-tuning" ;; lora) n="LoRA r=8 + KD" ;; hidden) n="KD + hidden cosine" ;; *) n="$r" ;; esac
  header="$header $n |"; rule="$rule---|"
done
rows=()
line="| teacher (stories260K) | $(params "$teacher") | $(ppl "$teacher" "$work/teacher.ppl") |"
for r in $recipes; do line="$line |"; done
rows+=("$line")
for t in $targets; do
  name="${t//=/-}"; s="$work/$name"
  if [ ! -d "$s" ]; then
    echo "distill-table: prune --target $t" >&2
    p4j prune --model "$teacher" --method minitron --target "$t" --calib "$train" --doc-separator "$sep" --calib-samples 32 --seq-len "$len" \
      --calib-sampling first --batch 8 --threads "$threads" --out "$s" --json > "$s.prune.json"
  fi
  line="| $t$([ "${t%%=*}" = num_key_value_heads ] && echo ' (mean-pool)') | $(params "$s") | $(ppl "$s") |"
  for r in $recipes; do line="$line $(recover "$s" "$r") |"; done
  rows+=("$line")
done
echo "$header"; echo "$rule"; printf '%s\n' "${rows[@]}"
