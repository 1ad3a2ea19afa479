# Shared by scripts/edge and scripts/connector (sourced, with piece=edge or piece=connector): runs that jar, Java from
# JAVA_HOME, else PATH. JVM flags: PIECE_JVM_DEFAULTS (default: JVM_DEFAULTS of jvm-defaults.sh here; set it to ""
# to drop them) then PIECE_JAVA_OPTS (later flags win).
# The defaults bound the heap (and so Netty's direct memory), use the throughput collector with a 32 MiB young
# generation (the collector's own sizing only raised RSS: 10,000 idle streams took ~60 MiB more at the same speed;
# young GCs stay under 1 % of the time); a heap of 512 MiB would put Netty's buffer allocator in its low-memory mode
# (no per-thread caches, larger buffers unpooled), which lowMemory=false keeps off for a few MiB per event loop
# (scripts/BENCH.md, items 19 and 23); with a smaller -Xmx in PIECE_JAVA_OPTS, add -Dio.netty.allocator.lowMemory=true too.
here=$(cd "$(dirname "$0")/.." && pwd)
upper=$(echo "$piece" | tr '[:lower:]' '[:upper:]')
defaults_var=${upper}_JVM_DEFAULTS opts_var=${upper}_JAVA_OPTS
. "$here/scripts/lib/jvm-defaults.sh"
defaults=${!defaults_var-$JVM_DEFAULTS}
jar="$here/$piece/target/$piece.jar"
[ -f "$jar" ] || { echo "$piece: $jar is missing: build it first (./mvnw -q package -DskipTests)" >&2; exit 1; }
# The JVM's own warnings (unified logging) go to stderr, not stdout, where they would corrupt the CLI's --json output.
# Out of heap, the JVM exits (3) whatever the flags: an OutOfMemoryError kills the event-loop threads it hits and
# leaves a process that holds its ports and answers nothing, nor SIGTERM, until kill -9 (a unit restarts one that
# exited). -XX:-ExitOnOutOfMemoryError in PIECE_JAVA_OPTS, later, still turns it off.
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xlog:disable -Xlog:all=warning:stderr -XX:+ExitOnOutOfMemoryError $defaults \
  ${!opts_var:-} -jar "$jar" "$@"
