# Sourced by scripts/likra, scripts/test and the bench scripts: finds a JDK 21 or newer and exports JAVA_HOME.
# Order: $JAVA_HOME, then `java` on the PATH, then the usual install folders.

likra_java_major() {
  # Prints the major version of the java binary $1 (e.g. 17, 21, 25), or nothing.
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

likra_find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  local d
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* /Library/Java/JavaVirtualMachines/*/Contents/Home \
           "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$d" ] && candidates+=("$d")
  done
  local best="" best_major=0 c major
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(likra_java_major "$c/bin/java")
    [ -n "$major" ] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$c"; best_major="$major"
    fi
    # The user's own JAVA_HOME wins when it is new enough.
    if [ "$c" = "${JAVA_HOME:-}" ] && [ "$major" -ge 21 ]; then best="$c"; break; fi
  done
  if [ -z "$best" ]; then
    echo "likra: no JDK 21 or newer found (looked at JAVA_HOME, the PATH and /usr/lib/jvm); install one (e.g. Temurin 25) and set JAVA_HOME" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}

# Maven's own libraries trip JDK 24+'s sun.misc.Unsafe warnings; they are noise for our users.
likra_quiet_maven() {
  local major
  major=$(likra_java_major "$JAVA_HOME/bin/java")
  if [ -n "$major" ] && [ "$major" -ge 24 ]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}

# For the benchmarks that call native libraries through java.lang.foreign (final since JDK 22): exits with 2 and one
# line naming the script ($1) and the library it calls ($2) when $JAVA_HOME is older.
likra_require_foreign() {
  local major
  major=$(likra_java_major "$JAVA_HOME/bin/java")
  if [ "${major:-0}" -lt 22 ]; then
    echo "$1: $JAVA_HOME is JDK ${major:-?}; this benchmark calls $2 through java.lang.foreign and needs JDK 22 or" \
         "newer (set JAVA_HOME)" >&2
    exit 2
  fi
}
