#!/usr/bin/env bash
# CPU profile of running edge and connector JVMs, with native and kernel frames (async-profiler, from Maven Central).
#
#   scripts/profile.sh [--seconds N] [--interval-us N] [--out DIR] PID...
#
# Loads async-profiler into each JVM (`jcmd PID JVMTI.agent_load`; it stays loaded until the process ends, idle),
# samples CPU on all of them at once for N seconds (default 10, every 100 us of CPU by default), writes the folded
# stacks to DIR/PID.collapsed (default DIR: a new temp dir; flamegraph.pl and speedscope read them) and the
# profiler's messages to DIR/PID.log, and prints, per process, where the CPU went (kernel, TLS, HTTP/2 codec and
# child channels, HPACK, HTTP/1 codec, our code, buffer allocator, epoll transport, leak detector, GC/JIT threads)
# and the hottest frames. Drive the load while it samples (wrk, scripts/loadtest.sh, or
# `scripts/bench.sh --no-build --setup-only 600` in another shell). The profile in scripts/BENCH.md was taken so.
# Needs jcmd (a JDK, as JAVA_HOME or on PATH), the JVMs' user or root, Linux on x64 or arm64, and Python 3. The
# profiler's jar is fetched once with ./mvnw and kept in ${XDG_CACHE_HOME:-~/.cache}/vpc-tunnel.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=4.1
SECONDS_=10 INTERVAL_US=100 OUT=""
PIDS_=()
usage() { sed -n '2,14{s/^# \{0,1\}//;p}' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --seconds|--interval-us)
      [[ "${2:-}" =~ ^[1-9][0-9]{0,5}$ ]] || { echo "profile.sh: $1 needs a whole number from 1 to 999999 (try --help)" >&2; exit 2; }
      if [ "$1" = --seconds ]; then SECONDS_=$2; else INTERVAL_US=$2; fi; shift ;;
    --out) [ -n "${2:-}" ] || { echo "profile.sh: --out needs a directory" >&2; exit 2; }; OUT=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "profile.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) [[ "$1" =~ ^[1-9][0-9]*$ ]] || { echo "profile.sh: '$1' is not a process id (try --help)" >&2; exit 2; }
       PIDS_+=("$1") ;;
  esac
  shift
done
[ ${#PIDS_[@]} -gt 0 ] || { echo "profile.sh: give the process id of at least one edge or connector (try --help)" >&2; exit 2; }
JCMD="${JAVA_HOME:+$JAVA_HOME/bin/}jcmd"
command -v "$JCMD" >/dev/null || { echo "profile.sh: jcmd not found: it comes with a JDK (set JAVA_HOME)" >&2; exit 1; }
case $(uname -m) in
  x86_64) arch=linux-x64 ;;
  aarch64) arch=linux-arm64 ;;
  *) echo "profile.sh: async-profiler has no build for $(uname -s) $(uname -m) in its Maven jar" >&2; exit 1 ;;
esac
for pid in "${PIDS_[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "profile.sh: no process $pid (or not ours to signal)" >&2; exit 1; }
  # jcmd attaches with SIGQUIT, which ends a process that is no JVM: look first
  grep -q '/libjvm\.so' "/proc/$pid/maps" 2>/dev/null || {
    echo "profile.sh: process $pid is not a Java VM ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))" >&2; exit 1; }
  # the profiler library and the output files are paths the JVM opens itself: it must see the same files we do
  [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] || {
    echo "profile.sh: process $pid runs in another mount namespace (a container, or systemd's PrivateTmp/ProtectHome):" \
      "run this script inside it (nsenter -t $pid -m -p)" >&2; exit 1; }
done

cache="${XDG_CACHE_HOME:-$HOME/.cache}/vpc-tunnel/async-profiler-$VERSION"
lib="$cache/$arch/libasyncProfiler.so"
if [ ! -f "$lib" ]; then
  mkdir -p "$cache"
  tmpd=$(mktemp -d)
  echo "== fetching tools.profiler:async-profiler:$VERSION from Maven Central"
  (cd "$ROOT" && ./mvnw -q -B dependency:copy -Dartifact="tools.profiler:async-profiler:$VERSION" \
      -DoutputDirectory="$tmpd" >"$tmpd/mvn.log" 2>&1) || { tail -20 "$tmpd/mvn.log" >&2; rm -rf "$tmpd"
    echo "profile.sh: could not fetch async-profiler $VERSION" >&2; exit 1; }
  python3 - "$tmpd/async-profiler-$VERSION.jar" "$tmpd/x" "$arch/" <<'PY'
import sys, zipfile
jar, into, prefix = sys.argv[1:]
with zipfile.ZipFile(jar) as z:
    z.extractall(into, [n for n in z.namelist() if n.startswith(prefix)])
PY
  mkdir -p "$cache/$arch" && mv "$tmpd/x/$arch/libasyncProfiler.so" "$lib"
  rm -rf "$tmpd"
fi

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/vpc-profile.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# jcmd reads key=value pairs in its arguments: the profiler's options go in quotes to reach it whole.
agent() { timeout 30 "$JCMD" "$1" JVMTI.agent_load "$lib" "\"$2\"" 2>&1; }
started=()
for pid in "${PIDS_[@]}"; do
  out=$(agent "$pid" "start,event=cpu,interval=$((INTERVAL_US * 1000)),cstack=vm,file=$OUT/$pid.collapsed,log=$OUT/$pid.log" || true)
  if ! grep -q 'return code: 0' <<<"$out"; then
    # no perf events here (a container, or perf_event_paranoid): the interval timer sees no kernel frames
    out=$(agent "$pid" "start,event=itimer,interval=$((INTERVAL_US * 1000)),file=$OUT/$pid.collapsed,log=$OUT/$pid.log" || true)
    grep -q 'return code: 0' <<<"$out" && echo "   $pid: perf events unavailable, sampling with itimer (no kernel frames)"
  fi
  if grep -q 'return code: 0' <<<"$out"; then started+=("$pid"); else
    echo "profile.sh: could not start the profiler in $pid (is it a HotSpot JVM of this user?): $(grep -m1 -E 'Exception|rror|return code' <<<"$out" | cut -c1-240)" >&2; fi
done
[ ${#started[@]} -gt 0 ] || exit 1
stop_all() {
  for pid in "${started[@]}"; do agent "$pid" "stop,file=$OUT/$pid.collapsed,collapsed,log=$OUT/$pid.log" >/dev/null || true; done
}
trap 'stop_all; exit 130' INT TERM
echo "== sampling ${started[*]} for $SECONDS_ s"
sleep "$SECONDS_"
trap - INT TERM
stop_all
for pid in "${started[@]}"; do
  name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -oE '(edge|connector)(-plain)?\.jar [a-z]+' | head -1 || true)
  echo
  echo "== $pid ${name:-}: $OUT/$pid.collapsed"
  if [ -s "$OUT/$pid.collapsed" ]; then python3 "$ROOT/scripts/lib/profile_summary.py" "$OUT/$pid.collapsed"
  else echo "   no samples (was it busy?)"; fi
done
