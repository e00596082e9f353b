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
