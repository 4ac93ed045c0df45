# Sourced by bin/mmr and bin/test: finds a JDK 21 or newer and exports JAVA_HOME.
# Order: $JAVA_HOME if it is 21+, then the newest JDK under /usr/lib/jvm, then `java` on the PATH.
mmr_java_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
mmr_find_jdk() {
  local c v
  for c in ${JAVA_HOME:+"$JAVA_HOME"} $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV) \
           $(command -v javac >/dev/null && dirname "$(dirname "$(readlink -f "$(command -v javac)")")"); do
    c=${c%/}
    [[ -x "$c/bin/javac" ]] || continue
    v=$(mmr_java_version "$c")
    if [[ -n "$v" && "${v%%.*}" -ge 21 ]]; then export JAVA_HOME="$c"; return 0; fi
  done
  echo "mmr: needs a JDK 21 or newer (found none in \$JAVA_HOME, /usr/lib/jvm or on the PATH)." >&2
  echo "     Install one, e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+, or set JAVA_HOME." >&2
  return 1
}
mmr_find_jdk || exit 1
