# Sourced by scripts/likra when `tornado` is among its arguments and TORNADOVM_HOME is set: defines the bash array
# tornado_jvm_opts with TornadoVM's JVM options. TornadoVM ships them as an argfile in its SDK ($TORNADOVM_HOME/
# tornado-argfile, written by its build; or tornado-argfile.template with ${TORNADOVM_HOME} placeholders), the
# same file its own `tornado` launcher passes to java: JVMCI, --enable-preview, the module path of its jars, the
# Graal compiler jars (--upgrade-module-path) and the module exports its backends need.
tornado_jvm_opts=()
if [ -n "${TORNADOVM_HOME:-}" ]; then
  if [ -f "$TORNADOVM_HOME/tornado-argfile" ]; then
    tornado_jvm_opts=("@$TORNADOVM_HOME/tornado-argfile")
  elif [ -f "$TORNADOVM_HOME/tornado-argfile.template" ]; then
    _likra_argfile="${TMPDIR:-/tmp}/likra-tornado-argfile.$$"
    sed "s|\${TORNADOVM_HOME}|$TORNADOVM_HOME|g" "$TORNADOVM_HOME/tornado-argfile.template" > "$_likra_argfile"
    tornado_jvm_opts=("@$_likra_argfile")
  else
    echo "likra: $TORNADOVM_HOME has no tornado-argfile; is TORNADOVM_HOME a TornadoVM SDK?" >&2
  fi
fi
# TornadoVM caps what it allocates on a device at tornado.device.memory (default 4GB, whatever the device has;
# gpt2-M's training step needs more). On an NVIDIA machine, unless JAVA_TOOL_OPTIONS sets it, the budget is the
# first GPU's memory as nvidia-smi reports it, less 10%.
if [ -n "${TORNADOVM_HOME:-}" ] && [[ "${JAVA_TOOL_OPTIONS:-}" != *tornado.device.memory* ]] \
   && command -v nvidia-smi >/dev/null 2>&1; then
  _likra_gpu_mb=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits 2>/dev/null | head -n 1 | tr -dc 0-9)
  [ -n "$_likra_gpu_mb" ] && tornado_jvm_opts+=("-Dtornado.device.memory=$(( _likra_gpu_mb * 9 / 10 ))MB")
fi

# PoCL (OpenCL on the CPU) keeps the kernels it compiled in a cache folder, by default ~/.cache/pocl/kcache
# ($XDG_CACHE_HOME/pocl/kcache); two processes compiling into the same folder at once have failed to compile.
# likra_private_pocl_cache gives this process (the launcher's PID, which the JVM keeps: the launcher execs it) a
# folder of its own, kcache.likra-<pid> beside the shared one, seeded with hard links to the shared cache's files
# (no copying; PoCL writes a new kernel to new files), and exports POCL_CACHE_DIR. What a finished process compiled
# is linked into the shared cache by the next launcher that starts (a running process cannot be waited for after
# exec), then its folder is removed; both under a lock on kcache.lock. A POCL_CACHE_DIR set by the user is left as
# it is. The cost at start: one hard link per cached file.
likra_private_pocl_cache() {
  [ -n "${POCL_CACHE_DIR:-}" ] && return 0
  local base="${XDG_CACHE_HOME:-$HOME/.cache}/pocl"
  local shared="$base/kcache" own="$base/kcache.likra-$$" dir pid
  mkdir -p "$shared" 2>/dev/null || return 0
  {
    flock 8
    for dir in "$base"/kcache.likra-*; do
      [ -d "$dir" ] || continue
      pid=${dir##*-}
      if ! kill -0 "$pid" 2>/dev/null; then
        cp -aln "$dir/." "$shared/" 2>/dev/null   # -n: a file the shared cache has already stays as it is
        rm -rf "$dir"
      fi
    done
    rm -rf "$own"
    cp -al "$shared/." "$own/" 2>/dev/null || mkdir -p "$own"
  } 8>"$base/kcache.lock"
  export POCL_CACHE_DIR="$own"
}
