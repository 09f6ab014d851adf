# Sourced by the build and run scripts: exports JAVA_HOME pointing at a JDK >= 25.
# Order: $JAVA_HOME if it is new enough, then the newest suitable JDK under /usr/lib/jvm.
brmr_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

brmr_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate=${candidate%/}
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] && [ -x "$candidate/bin/jlink" ] || continue
    major=$(brmr_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! BRMR_JDK=$(brmr_find_jdk); then
  echo "brmr: no JDK 25 or newer found (checked JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*)." >&2
  echo "brmr: install one, e.g. 'apt-get install temurin-25-jdk' from adoptium.net, or set JAVA_HOME to it." >&2
  return 1 2>/dev/null || exit 1
fi
export JAVA_HOME=$BRMR_JDK
export PATH="$JAVA_HOME/bin:$PATH"
