#!/usr/bin/env bash
# The linear products of the cpu engine against OpenBLAS's sgemm, measured in one process (bench/peers/PairedBlas.java):
# alternating 100-ms slices of each, so both see the same load of a shared machine; prints per product
# likra GFLOP/s / OpenBLAS GFLOP/s = the median of the per-round ratios [quartiles].
#
#   bench/peers/paired_blas.sh                         # threads 1 and 2, 10 rounds, the presets' shapes
#   THREADS="2" ROUNDS=20 bench/peers/paired_blas.sh 1024x256x768
#   JVM_OPTS="-Dlikra.cpu.eightRows=false" bench/peers/paired_blas.sh    # extra JVM options (here: the 4-row kernel on
#                                                                  # AVX-512, to compare the two)
#
# OpenBLAS: $OPENBLAS_LIB, else the library numpy ships (python3 -c 'import numpy'), else libopenblas.so.0 from
# ldconfig (Debian: apt-get install libopenblas0). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are cleared for this
# command: set, they can force an older kernel. Needs a JDK 22 or newer (java.lang.foreign is final since 22).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../../scripts/jdk.sh
source "$root/scripts/jdk.sh"
likra_find_jdk
likra_require_foreign paired_blas OpenBLAS
lib="${OPENBLAS_LIB:-}"
if [ -z "$lib" ] && command -v python3 >/dev/null; then
  lib=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, numpy
d = os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy.libs")
print((sorted(glob.glob(os.path.join(d, "*openblas*.so*"))) or [""])[0])
PY
)
fi
[ -z "$lib" ] && lib=$(ldconfig -p 2>/dev/null | sed -n 's/.*libopenblas\.so\.0 .*=> //p' | head -n 1)
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
  echo "paired_blas: no OpenBLAS found; set OPENBLAS_LIB to a libopenblas.so (pip install numpy, or apt-get install" \
       "libopenblas0)" >&2
  exit 2
fi
"$root/scripts/likra" --help >/dev/null # builds target/likra.jar if it is missing or stale
read -ra jvm_opts <<< "${JVM_OPTS:-}"
shapes=("$@")
[ ${#shapes[@]} -eq 0 ] && shapes=(512x128x512 1024x256x768 1024x1024x256 512x384x50304)
for threads in ${THREADS:-1 2}; do
  (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS
   "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
     ${jvm_opts[@]+"${jvm_opts[@]}"} -cp "$root/target/likra.jar" "$root/bench/peers/PairedBlas.java" "$lib" \
     "$threads" "${ROUNDS:-10}" "${shapes[@]}" 2>&1 | grep -v WARNING)
done
