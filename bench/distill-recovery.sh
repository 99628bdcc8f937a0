#!/usr/bin/env bash
# The distillation recovery protocol (issue 11) on stories260K: the student is the teacher with its lowest-BI layer
# dropped (distill.LayerDrop, until `prune --target num_hidden_layers=4` exists); each recipe trains it for the same
# steps; perplexity before/after on the first 64 windows of 128 tokens of wikitext2-test.txt and on
# tinystories-sample.txt split by <|endoftext|> (windows of 128). Prints one markdown row per model.
#   bench/distill-recovery.sh [--data FILE] [--doc-separator S] [--steps 50] [--work DIR] [--recipes "kd ce hidden"]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared"
data="$shared/data/text/wikitext2-valid.txt"; sep=""; steps=50; work="$(mktemp -d)"; recipes="kd ce hidden"
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --doc-separator) sep="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --recipes) recipes="$2"; shift 2 ;;
    *) echo "distill-recovery: unknown argument $1" >&2; exit 2 ;;
  esac
done
teacher="$shared/models/stories260K"
J="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
"$here/prune4j" info --model "$teacher" --json >/dev/null   # builds the jar when needed
student="$work/student"
[ -d "$student" ] || "$J" --add-modules=jdk.incubator.vector -cp "$here/cli/target/prune4j.jar" org.prune4j.distill.LayerDrop \
  --model "$teacher" --calib "$shared/data/text/wikitext2-valid.txt" --out "$student" 2>/dev/null | tee "$work/layerdrop.json" >&2

ppl() { # model -> "wiki ppl | stories ppl"
  local w s
  w=$("$here/prune4j" eval --model "$1" --text "$shared/data/text/wikitext2-test.txt" --seq-len 128 --windows 64 --batch 8 --json 2>/dev/null | tail -1 | sed 's/.*"ppl":\([0-9.]*\).*/\1/')
  s=$("$here/prune4j" eval --model "$1" --text "$shared/data/text/tinystories-sample.txt" --doc-separator '<|endoftext|>' --seq-len 128 --batch 8 --json 2>/dev/null | tail -1 | sed 's/.*"ppl":\([0-9.]*\).*/\1/')
  printf '%.2f | %.2f' "$w" "$s"
}
common=(--student "$student" --data "$data" --seq-len 128 --batch 8 --steps "$steps" --lr 1e-3 --temperature 1 --weight-decay 0
        --schedule constant --data-sampling first --force --json)
[ -n "$sep" ] && common+=(--doc-separator "$sep")
echo "| model | recipe | wikitext2-test ppl | tinystories-sample ppl | first loss | final loss | seconds |"
echo "|---|---|---|---|---|---|---|"
echo "| teacher (stories260K, 5 layers) | - | $(ppl "$teacher") | | | |"
echo "| student (lowest-BI layer dropped) | none | $(ppl "$student") | | | |"
for r in $recipes; do
  case "$r" in
    kd) args=(--teacher "$teacher") ;;
    ce) args=(--loss ce) ;;
    hidden) args=(--teacher "$teacher" --hidden-loss cosine --hidden-weight 1 --layer-map "$(sed 's/.*"dropped":\([0-9]*\).*/\1/' "$work/layerdrop.json" | awk '{d=$1; s=""; for(i=0;i<5;i++) if(i!=d) s=s (s==""?"":",") i; print s}')") ;;
    lora) args=(--teacher "$teacher" --lora-rank 8 --lora-alpha 16) ;;
    *) echo "unknown recipe $r" >&2; exit 2 ;;
  esac
  j=$("$here/prune4j" distill "${common[@]}" "${args[@]}" --out "$work/$r" --log "$work/$r.log" 2>"$work/$r.err" | tail -1)
  f=$(echo "$j" | sed 's/.*"first_loss":\([0-9.eE-]*\).*/\1/'); l=$(echo "$j" | sed 's/.*"final_loss":\([0-9.eE-]*\).*/\1/'); t=$(echo "$j" | sed 's/.*"seconds":\([0-9.]*\).*/\1/')
  printf '| student + %s | %s, %s steps | %s | %.4f | %.4f | %.0f |\n' "$r" "$r" "$steps" "$(ppl "$work/$r")" "$f" "$l" "$t"
done
