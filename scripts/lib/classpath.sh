# Sourced by scripts/gleitzeit and scripts/cluster: the class path a node runs on.
#
# gleitzeit_classpath ROOT prints target/gleitzeit.jar:target/lib/* of the project at ROOT, building them first
# (mvn package, tests skipped) when they are missing or older than the sources, conf/ or pom.xml. When
# GLEITZEIT_CLASSPATH is set it prints that instead and builds nothing: the tests run scripts/cluster on the
# class path Maven already compiled, before the package phase has made the jar.
gleitzeit_classpath() {
  local root="$1"
  if [ -n "${GLEITZEIT_CLASSPATH:-}" ]; then
    printf '%s\n' "$GLEITZEIT_CLASSPATH"
    return 0
  fi
  local jar="$root/target/gleitzeit.jar"
  if [ ! -f "$jar" ] || [ ! -d "$root/target/lib" ] \
     || [ -n "$(find "$root/src/main" "$root/conf" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "gleitzeit: building the jar (mvn package, about a minute the first time) ..." >&2
    mkdir -p "$root/target"
    # target/lib afresh: a dependency whose version changed would otherwise be on the class path twice.
    if ! (cd "$root" && rm -rf target/lib && mvn -B -Dmaven.test.skip=true package) > "$root/target/build.log" 2>&1; then
      tail -40 "$root/target/build.log" >&2
      echo "gleitzeit: the build failed; the whole log is in target/build.log" >&2
      return 1
    fi
  fi
  printf '%s\n' "$jar:$root/target/lib/*"
}
