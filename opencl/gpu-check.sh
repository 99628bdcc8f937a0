#!/usr/bin/env bash
# The OpenCL backend on a machine lent a GPU, in one go. Two steps:
#
#   opencl/gpu-check.sh prepare     here (a dev machine with JDK 25, Maven, ~/.m2): builds .gpu/, a self-contained
#                                   bundle (a jlinked Java 25 runtime, the CLI jar, the opencl tests and their jars,
#                                   the OpenCL ICD loader and clinfo, stories260K and a sample text); ~50 MiB
#   opencl/gpu-check.sh run         there, with .gpu carried (device tool: carry [".gpu"], timeout_s ~540): no Java,
#                                   Maven or network needed. Prints whether NVIDIA's OpenCL driver is visible, lists
#                                   the devices, runs the opencl tests on the GPU, bench gemm and a forward eval on
#                                   --device opencl, with the CPU backend as the anchor measured in the same run.
#
# Results of `run` also land in $OUT/gpu-check.log when $OUT is set (the device tool's output folder).
set -uo pipefail
cd "$(dirname "$0")/.."
B=.gpu

prepare() {
  set -e
  : "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
  export JAVA_HOME
  rm -rf "$B"
  mkdir -p "$B/lib" "$B/bin" "$B/shared/models" "$B/shared/data/text"
  mvn -o -q -B -pl cli -am package -DskipTests
  # the opencl module, its test classes and every jar they need (tensor from the reactor, Aparapi, JUnit, QuickTheories)
  mvn -o -q -B -pl opencl -am package dependency:copy-dependencies -DskipTests -DincludeScope=test -DoutputDirectory="$PWD/$B/lib"
  cp opencl/target/prune4j-opencl-*.jar "$B/lib/"
  "$JAVA_HOME/bin/jar" cf "$B/lib/prune4j-opencl-tests.jar" -C opencl/target/test-classes .
  cp cli/target/prune4j.jar "$B/prune4j.jar"
  # the device tool carries at most 64 MiB: drop Aparapi's Windows, macOS and non-x86-64 Linux native libraries, and
  # the fastutil classes prune4j never reaches (it uses two maps of a 20 MiB library; reachability from jdeps)
  "$JAVA_HOME/bin/jdeps" -verbose:class -filter:none --ignore-missing-deps --multi-release 25 "$B/prune4j.jar" > "$B/deps.txt" 2>/dev/null
  python3 - "$B/deps.txt" "$B/prune4j.jar" "$B"/lib/aparapi-jni-*.jar <<'PY'
import sys, zipfile, os, collections
deps, jars = sys.argv[1], sys.argv[2:]
edges = collections.defaultdict(set)
for line in open(deps):
    parts = line.split()
    if len(parts) >= 3 and parts[1] == "->":
        edges[parts[0]].add(parts[2])
FU = "it.unimi.dsi.fastutil."
def cls(n):
    return n[:-6].replace("/", ".") if n.endswith(".class") else None
names = [i.filename for i in zipfile.ZipFile(jars[0]).infolist()]
seen = set(c for c in map(cls, names) if c and not c.startswith(FU))
todo = list(seen)
while todo:
    for d in edges.get(todo.pop(), ()):
        if d not in seen:
            seen.add(d)
            todo.append(d)
for path in jars:
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            n, c = item.filename, cls(item.filename)
            if n.startswith(("win/", "osx/")) or (n.startswith("linux/") and n.endswith(".so") and "x86_64" not in n):
                continue
            if c and c.startswith(FU) and c.split("$")[0] not in seen and c not in seen:
                continue
            dst.writestr(item, src.read(n))
    os.replace(tmp, path)
PY
  rm -f "$B/deps.txt"
  # a Java 25 runtime with the modules prune4j, Aparapi, picocli and JUnit use
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.incubator.vector,jdk.unsupported,jdk.zipfs \
      --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$B/jre"
  strip --strip-unneeded "$B/jre/lib/server/libjvm.so" 2>/dev/null || true
  # the OpenCL ICD loader and clinfo (the GPU image need not have them); the NVIDIA driver itself comes from that machine
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/lib/libOpenCL.so.1"
  cp /usr/bin/clinfo "$B/bin/clinfo" 2>/dev/null || true
  cp -r ../shared/models/stories260K "$B/shared/models/"
  cp ../shared/data/text/tinystories-sample.txt "$B/shared/data/text/"
  du -sh "$B"
  echo "prepared $B; now run on the GPU machine: bash opencl/gpu-check.sh run   (carry: [\".gpu\"])"
}

run() {
  [ -x "$B/jre/bin/java" ] || { echo "no $B bundle: run 'opencl/gpu-check.sh prepare' first and carry .gpu"; exit 2; }
  local log=/dev/null
  [ -n "${OUT:-}" ] && log="$OUT/gpu-check.log"
  exec > >(tee "$log") 2>&1
  local here; here="$(pwd)"
  export LD_LIBRARY_PATH="$here/$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$here/$B/bin:$PATH"
  JAVA=("$here/$B/jre/bin/java" -Xmx16g --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

  echo "== machine"
  nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not available"
  echo "== NVIDIA's OpenCL driver"
  local nvlib=""
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
    for f in "$d"/libnvidia-opencl.so.1 "$d"/libnvidia-opencl.so.*; do
      [ -e "$f" ] && { nvlib="$f"; break 2; }
    done
  done
  local icds=""
  [ -d /etc/OpenCL/vendors ] && icds="$(ls /etc/OpenCL/vendors 2>/dev/null | tr '\n' ' ')"
  echo "ICD files in /etc/OpenCL/vendors: ${icds:-none}"
  if [ -n "$nvlib" ]; then
    echo "NVIDIA OpenCL driver library: VISIBLE at $nvlib"
    if ! grep -qsl nvidia /etc/OpenCL/vendors/* 2>/dev/null; then
      # the loader finds drivers through .icd files; point one at the driver library
      mkdir -p /tmp/prune4j-icd && echo "$nvlib" > /tmp/prune4j-icd/nvidia.icd
      export OCL_ICD_VENDORS=/tmp/prune4j-icd
      echo "no nvidia.icd installed: using OCL_ICD_VENDORS=$OCL_ICD_VENDORS"
    fi
  else
    echo "NVIDIA OpenCL driver library: NOT VISIBLE (no libnvidia-opencl.so.1 in the driver folders)"
  fi
  echo "== clinfo -l"
  clinfo -l 2>&1 || echo "clinfo failed"
  echo "== prune4j devices"
  "${JAVA[@]}" -jar "$B/prune4j.jar" devices
  echo "== opencl tests (on the device --device opencl picks: the first GPU)"
  "${JAVA[@]}" -cp "$B/lib/*" org.prune4j.opencl.OpenCLTestMain
  echo "tests exit code: $?"
  echo "== bench gemm (OpenCL vs the CPU backend, same run)"
  for shape in "1024 1024 1024" "4096 4096 4096" "1 4096 4096"; do
    set -- $shape
    for dev in opencl cpu; do
      "${JAVA[@]}" -jar "$B/prune4j.jar" bench gemm --device "$dev" --m "$1" --n "$2" --k "$3" 2>&1 | grep -v '^WARNING: Using incubator'
    done
  done
  echo "== forward: eval of stories260K on --device opencl and cpu (wall time includes JVM start and kernel builds)"
  for dev in opencl cpu; do
    local t0; t0=$(date +%s%N)
    "${JAVA[@]}" -jar "$B/prune4j.jar" eval --model "$B/shared/models/stories260K" --text "$B/shared/data/text/tinystories-sample.txt" \
        --doc-separator '<|endoftext|>' --seq-len 512 --batch 3 --json --device "$dev" 2>&1 | grep -v '^WARNING: Using incubator' | tail -1
    echo "$dev eval wall: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  done
  echo "== bench forward: a synthetic Llama (hidden 2048, 4 layers, MLP 5632, 32 heads / 8 KV heads, vocab 32000)"
  for mode in "" "--decode"; do
    for dev in opencl cpu; do
      "${JAVA[@]}" -jar "$B/prune4j.jar" bench forward --synthetic --hidden 2048 --layers 4 --intermediate 5632 --heads 32 --kv-heads 8 \
          --vocab 32000 --seq-len 512 $mode --device "$dev" 2>&1 | grep -v '^WARNING: Using incubator' | tail -1
    done
  done
  echo "== greedy generate on --device opencl (must equal llama2.c's text)"
  "${JAVA[@]}" -jar "$B/prune4j.jar" generate --model "$B/shared/models/stories260K" --steps 200 --temperature 0 --device opencl > /tmp/gen.txt 2>/tmp/gen.err
  if diff -q <(cat "$B/shared/models/stories260K/reference/greedy-200.txt"; echo) /tmp/gen.txt >/dev/null; then echo "greedy text: IDENTICAL"; else echo "greedy text: DIFFERS"; cat /tmp/gen.err; fi
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: opencl/gpu-check.sh prepare|run" >&2; exit 2 ;;
esac
