#!/usr/bin/env bash
# Builds the self-contained bundles an operator installs on a host with no Java:
#   dist/connector-VERSION-linux-x64.tar.gz   bin/connector, lib/connector.jar, runtime/ (jlinked), certs/, deploy/, README.md
#   dist/edge-VERSION-linux-x64.tar.gz        bin/edge, lib/edge.jar, runtime/ (jlinked), README.md
# Usage: scripts/package.sh [--no-build] [connector|edge ...]   (default: both; --no-build reuses the jars in */target)
# Needs a JDK 17+ with jmods (jlink, jdeps): $JAVA_HOME, else the one `javac` belongs to.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022   # the bundle must be readable by the unprivileged service user
ROOT=$PWD

build=1
pieces=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    connector|edge) pieces+=("$a") ;;
    -h|--help) sed -n '2,6{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
[ ${#pieces[@]} -gt 0 ] || pieces=(connector edge)

JDK=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
for tool in jlink jdeps java; do
  [ -x "$JDK/bin/$tool" ] || { echo "package.sh: $JDK/bin/$tool not found: set JAVA_HOME to a JDK 17+" >&2; exit 1; }
done
[ -d "$JDK/jmods" ] || { echo "package.sh: $JDK/jmods is missing: jlink needs a JDK with jmods" >&2; exit 1; }

if [ "$build" = 1 ]; then
  modules=$(IFS=,; echo "${pieces[*]}")
  echo "== building ${modules} (./mvnw package -DskipTests)"
  ./mvnw -B -q package -DskipTests -pl "$modules" -am
fi

# Modules the runtime gets: what jdeps finds in the shaded jar, less DROP, plus ADD.
#  DROP java.desktop: only Jackson's optional java.beans support (loaded inside a catch), H2's tray console and
#       PostgreSQL's PGpoint<->java.awt.Point helpers reach it; 12 MB we do not ship.
#  DROP jdk.sctp: Netty's SCTP transport, never used.
#  ADD jdk.crypto.ec (EC keys and curves for TLS with the JDK provider), jdk.naming.dns (JNDI DNS, Netty's
#      resolver discovery), jdk.unsupported (sun.misc.Signal for SIGTERM, Netty's Unsafe), java.naming,
#      jdk.localedata is not needed (logs are English, timestamps ISO).
DROP="java.desktop jdk.sctp"
ADD="jdk.crypto.ec jdk.naming.dns jdk.unsupported java.naming"

modules_for() {
  local jar=$1 found m out=()
  found=$("$JDK/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 "$jar" | tail -1)
  for m in ${found//,/ } $ADD; do
    case " $DROP " in *" $m "*) continue ;; esac
    case " ${out[*]:-} " in *" $m "*) continue ;; esac
    out+=("$m")
  done
  (IFS=,; echo "${out[*]}")
}

# The shaded jar carries Netty's native libraries for every platform, and QUIC/HTTP/3 ones we never load
# (~12 MB compressed): the linux-x64 bundle keeps only the linux x86_64 epoll/io_uring ones.
slim_jar() {
  if ! command -v python3 >/dev/null 2>&1; then
    echo "   (no python3: copying $1 as it is, with the natives of every platform)"
    cp "$1" "$2"
    return
  fi
  python3 - "$1" "$2" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
def keep(name):
    if not name.startswith("META-INF/native/") or name.endswith("/"):
        return True
    base = name.rsplit("/", 1)[-1]
    return "quiche" not in base and ("linux_x86_64" in base or "linux-x86_64" in base)
dropped = 0
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        if keep(info.filename):
            zout.writestr(info, zin.read(info.filename), compress_type=info.compress_type)
        else:
            dropped += 1
print(f"   dropped {dropped} native libraries of other platforms from the jar")
PY
}

mkdir -p dist
for piece in "${pieces[@]}"; do
  jar="$piece/target/$piece.jar"
  [ -f "$jar" ] || { echo "package.sh: $jar is missing (build first, or drop --no-build)" >&2; exit 1; }
  version=$("$JDK/bin/java" -jar "$jar" --version | awk '{print $2; exit}')
  name="$piece-$version-linux-x64"
  stage=$(mktemp -d "${TMPDIR:-/tmp}/package.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  top="$stage/$name"
  mkdir -p "$top/bin" "$top/lib"

  mods=$(modules_for "$jar")
  echo "== $name: jlink $mods"
  "$JDK/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=2 \
    --output "$top/runtime"
  slim_jar "$jar" "$top/lib/$piece.jar"

  upper=$(echo "$piece" | tr '[:lower:]' '[:upper:]')
  cat > "$top/bin/$piece" <<EOF
#!/bin/sh
# Runs the $piece on the Java runtime bundled next to it: the host needs no Java.
# JVM options: ${upper}_JAVA_OPTS, space-separated (default: -XX:MaxRAMPercentage=50). Out of heap the JVM exits (3)
# whatever they are (a JVM that ran out of heap holds its ports and answers nothing, nor SIGTERM); a later
# -XX:-ExitOnOutOfMemoryError turns that off.
self=\$0
if command -v readlink >/dev/null 2>&1; then self=\$(readlink -f "\$0" 2>/dev/null || echo "\$0"); fi
case \$self in */*) dir=\${self%/*} ;; *) dir=. ;; esac
here=\$(cd "\$dir/.." && pwd -P)
# The JVM's own warnings go to stderr, not stdout, where they would corrupt the CLI's --json output.
exec "\$here/runtime/bin/java" -Xlog:disable -Xlog:all=warning:stderr -XX:+ExitOnOutOfMemoryError \${${upper}_JAVA_OPTS:--XX:MaxRAMPercentage=50} \\
  -jar "\$here/lib/$piece.jar" "\$@"
EOF
  chmod 755 "$top/bin/$piece"

  if [ "$piece" = connector ]; then
    cp -r certs "$top/certs"
    mkdir -p "$top/deploy"
    cp deploy/connector.service deploy/connector.yaml deploy/README.md "$top/deploy/"
    cp deploy/README.md "$top/README.md"
  else
    cat > "$top/README.md" <<EOF
# edge $version (linux-x64)

The public side of the VPC tunnel, with its own Java runtime in \`runtime/\` (no Java needed on the host).

    bin/edge init --data /var/lib/vpc-edge --san edge.example.net
    bin/edge serve --data /var/lib/vpc-edge --tunnel-listen 0.0.0.0:7844

\`bin/edge --help\` lists every subcommand. Admin subcommands read the API token from \`EDGE_API_TOKEN\`
(prefer it to \`--token\`, which shows in \`ps\`). Connectors trust \`/var/lib/vpc-edge/edge-ca.pem\`.
EOF
  fi

  runtime_size=$(du -sh "$top/runtime" | cut -f1)
  # Reproducible-ish archive: fixed owner, sorted names.
  tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -czf "dist/$name.tar.gz" "$name"
  rm -rf "$stage"
  trap - EXIT
  size=$(du -h "dist/$name.tar.gz" | cut -f1)
  echo "== dist/$name.tar.gz ($size compressed; the jlinked runtime is $runtime_size unpacked)"
done
