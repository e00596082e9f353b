#!/usr/bin/env bash
# A training step of the cpu engine against llm.c's, measured in one process (bench/peers/PairedStep.java): slices
# of likra steps and of llm.c steps alternate, so both see the same state of a shared machine; prints each round's
# ratio of tokens/s and their median. llm.c's step is built from your llm.c copy into a shared library
# (bench/peers/llmc_step.c) in a temporary folder; nothing of llm.c enters this repository.
#
#   LLMC_DIR=/path/to/llmc-build bench/peers/paired_step.sh      # a folder with train_gpt2.c, llmc/, S.bin and M.bin
#
# Environment: LLMC_DIR (required: see docs/performance.md, "Comparing with llm.c", for the checkpoints), THREADS
# (default 2), ROUNDS (default 8 for gpt2-S, 5 for gpt2-M), PRESETS (default "gpt2-S gpt2-M"), JVM_OPTS (extra JVM
# options for likra's side, e.g. -Dlikra.cpu.eightRows=false). Needs gcc with
# OpenMP and a JDK 22 or newer (java.lang.foreign is final since 22).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../../scripts/jdk.sh
source "$root/scripts/jdk.sh"
likra_find_jdk
likra_require_foreign paired_step llm.c
if [ -z "${LLMC_DIR:-}" ] || [ ! -f "$LLMC_DIR/train_gpt2.c" ]; then
  echo "paired_step: set LLMC_DIR to a folder with llm.c's train_gpt2.c, llmc/ and the checkpoints S.bin, M.bin" \
       "(docs/performance.md, \"Comparing with llm.c\")" >&2
  exit 2
fi
threads="${THREADS:-2}"
read -ra jvm_opts <<< "${JVM_OPTS:-}"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
gcc -Ofast -march=native -fopenmp -shared -fPIC -fvisibility=hidden -I"$LLMC_DIR" -o "$build/libllmc_step.so" \
  "$root/bench/peers/llmc_step.c" -lm
"$root/scripts/likra" --help >/dev/null # builds target/likra.jar if it is missing or stale

echo "== $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg), $threads threads"
for preset in ${PRESETS:-gpt2-S gpt2-M}; do
  case "$preset" in
    gpt2-S) args=("$LLMC_DIR/S.bin" gpt2-S 8 64 "$threads" "${ROUNDS:-8}" 2) ;;
    gpt2-M) args=("$LLMC_DIR/M.bin" gpt2-M 4 128 "$threads" "${ROUNDS:-5}" 4) ;;
    *) echo "paired_step: unknown preset $preset (gpt2-S or gpt2-M)" >&2; exit 2 ;;
  esac
  OMP_NUM_THREADS="$threads" "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector \
    --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC ${jvm_opts[@]+"${jvm_opts[@]}"} \
    -cp "$root/target/likra.jar:$root/target/lib/*" \
    "$root/bench/peers/PairedStep.java" \
    "$build/libllmc_step.so" "${args[@]}" 2>&1 | grep -E "^(paired step|round|gpt2)|rror"
done
