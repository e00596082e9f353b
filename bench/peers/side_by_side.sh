#!/usr/bin/env bash
# Side-by-side timing of a training step: likra's cpu engine against llm.c's train_gpt2 on the same configurations,
# one right after the other, for ROUNDS rounds (wall-clock figures on a shared machine move between runs; run the
# two programs interleaved and compare within a round). Then the same step in one process (bench/peers/paired_step.sh,
# where LLMC_DIR also holds train_gpt2.c and gcc is installed), and the linear products against OpenBLAS in one
# process (bench/peers/paired_blas.sh). See docs/performance.md ("Comparing with llm.c" says how to build train_gpt2 and
# write S.bin, M.bin).
#
#   LLMC_DIR=/path/to/llmc-build bench/peers/side_by_side.sh   # train_gpt2, S.bin, S_data.bin, M.bin, M_data.bin
#
# Environment: LLMC_DIR (required for the llm.c half; skipped with a message when absent), ROUNDS (default 3),
# THREADS (default 2), PAIRED_ROUNDS (rounds of the OpenBLAS comparison, default 10). Run from anywhere; needs
# scripts/likra's JDK and, for the OpenBLAS half, a JDK 22+ and an OpenBLAS library (numpy's, or $OPENBLAS_LIB).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${ROUNDS:-3}"
threads="${THREADS:-2}"
cd "$root"

llmc() { # config B T
  (cd "$LLMC_DIR" && OMP_NUM_THREADS="$threads" CKPT="$1.bin" DATA="$1_data.bin" B="$2" T="$3" ./train_gpt2 \
    | grep -oE "took [0-9.]+" | awk '{print $2}' | tail -n +2 | sort -n \
    | awk '{a[NR]=$1} END {printf "llm.c    median %.1f ms/step (%.1f..%.1f), steps 1-%d\n", a[int((NR+1)/2)], a[1], a[NR], NR}')
}

likra_bench() { # preset batch seq warmup steps
  scripts/likra bench --engine cpu --model "$1" --batch "$2" --seq "$3" --threads "$threads" --warmup "$4" \
    --steps "$5" 2>&1 | grep -E "ms/step" | sed 's/^/likra    /'
}

# The median of the numbers on stdin, one per line (the mean of the two middle ones for an even count).
median() {
  sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit; m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; print m}'
}

have_llmc=false
if [ -n "${LLMC_DIR:-}" ] && [ -x "$LLMC_DIR/train_gpt2" ]; then
  have_llmc=true
else
  echo "side_by_side: LLMC_DIR is not a folder with train_gpt2; timing likra alone" >&2
fi

echo "== $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg), $threads threads"
for spec in "gpt2-S 8 64 30 20 S" "gpt2-M 4 128 5 5 M"; do
  read -r preset batch seq warmup steps llmc_config <<<"$spec"
  ratios=()
  for round in $(seq 1 "$rounds"); do
    echo "-- $preset ${batch}x${seq}, round $round"
    ours=$(likra_bench "$preset" "$batch" "$seq" "$warmup" "$steps")
    echo "$ours"
    if $have_llmc; then
      theirs=$(llmc "$llmc_config" "$batch" "$seq")
      echo "$theirs"
      a=$(awk '{print $4}' <<<"$ours"); b=$(awk '{print $3}' <<<"$theirs")
      [ -n "$a" ] && [ -n "$b" ] && ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')")
    fi
  done
  if [ ${#ratios[@]} -gt 0 ]; then
    echo "== $preset: likra's tokens/s / llm.c's per round: ${ratios[*]}; median $(printf '%s\n' "${ratios[@]}" | median)x"
  fi
done

if [ -n "${LLMC_DIR:-}" ] && [ -f "$LLMC_DIR/train_gpt2.c" ] && command -v gcc >/dev/null; then
  echo "-- the training step against llm.c, measured in one process (bench/peers/paired_step.sh)"
  (unset ROUNDS; THREADS="$threads" "$root/bench/peers/paired_step.sh" | grep -v "^==") \
    || echo "side_by_side: skipping the paired step" >&2
fi
echo "-- linear products against OpenBLAS, measured in one process (bench/peers/paired_blas.sh), 1 and $threads threads"
THREADS="1 $threads" ROUNDS="${PAIRED_ROUNDS:-10}" "$root/bench/peers/paired_blas.sh" \
  || echo "side_by_side: skipping the linear products" >&2
echo "== end $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg)"
