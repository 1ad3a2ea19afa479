#!/usr/bin/env bash
# CPU profile of running edge and connector JVMs, with native and kernel frames (async-profiler, from Maven Central).
#
#   scripts/profile.sh [--seconds N] [--interval-us N] [--out DIR] PID...
#   scripts/profile.sh --fetch-only
#
# Loads async-profiler into each JVM (`jcmd PID JVMTI.agent_load`; it stays loaded until the process ends, idle),
# samples CPU on all of them at once for N seconds (default 10, every 100 us of CPU by default), writes the folded
# stacks to DIR/PID.collapsed (default DIR: a new temp dir; flamegraph.pl and speedscope read them) and the
# profiler's messages to DIR/PID.log, and prints, per process, where the CPU went (kernel, TLS, HTTP/2 codec and
# child channels, HPACK, HTTP/1 codec, our code, buffer allocator, epoll transport, leak detector, GC/JIT threads)
# and the hottest frames. Drive the load while it samples (wrk, scripts/loadtest.sh, or
# `scripts/bench.sh --no-build --setup-only 600` in another shell). The profile in scripts/BENCH.md was taken so.
# Needs jcmd (a JDK, as JAVA_HOME or on PATH), Linux on x64 or arm64, Python 3, and to run as the JVMs' own user in
# their mount namespace (the JVM itself opens the library and writes the output). The profiler's jar is fetched once
# with ./mvnw (--fetch-only does only that) and kept in ${XDG_CACHE_HOME:-~/.cache}/vpc-tunnel. Exits 1 when no
# process gave a sample.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=4.1
SECONDS_=10 INTERVAL_US=100 OUT="" FETCH_ONLY=0
PIDS_=()
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --seconds)
      [[ "${2:-}" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "profile.sh: --seconds needs a whole number from 1 to 9999 (try --help)" >&2; exit 2; }
      SECONDS_=$2; shift ;;
    --interval-us)
      [[ "${2:-}" =~ ^[1-9][0-9]{1,5}$ ]] && [ "$2" -ge 50 ] || {
        echo "profile.sh: --interval-us needs a whole number from 50 to 999999 (sampling more often slows the JVM down)" >&2; exit 2; }
      INTERVAL_US=$2; shift ;;
    --out)
      [[ -n "${2:-}" && "$2" != *[,\ \"]* ]] || { echo "profile.sh: --out needs a directory whose path has no comma, space or quote" >&2; exit 2; }
      OUT=$2; shift ;;
    --fetch-only) FETCH_ONLY=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "profile.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) [[ "$1" =~ ^[1-9][0-9]{0,9}$ ]] || { echo "profile.sh: '$1' is not a process id (try --help)" >&2; exit 2; }
       [[ " ${PIDS_[*]:-} " == *" $1 "* ]] || PIDS_+=("$1") ;;
  esac
  shift
done
[ $FETCH_ONLY = 1 ] || [ ${#PIDS_[@]} -gt 0 ] || { echo "profile.sh: give the process id of at least one edge or connector (try --help)" >&2; exit 2; }
[ "$(uname -s)" = Linux ] || { echo "profile.sh: Linux only" >&2; exit 1; }
case $(uname -m) in
  x86_64) arch=linux-x64 ;;
  aarch64) arch=linux-arm64 ;;
  *) echo "profile.sh: async-profiler has no build for $(uname -m) in its Maven jar" >&2; exit 1 ;;
esac
JCMD="${JAVA_HOME:+$JAVA_HOME/bin/}jcmd"
[ $FETCH_ONLY = 1 ] || command -v "$JCMD" >/dev/null || { echo "profile.sh: jcmd not found: it comes with a JDK (set JAVA_HOME)" >&2; exit 1; }
# checks of one process, again right before each attach (the fetch below may take a while)
check_pid() {
  local pid=$1 owner
  kill -0 "$pid" 2>/dev/null || { echo "profile.sh: no process $pid (or not ours to signal)" >&2; return 1; }
  # jcmd attaches with SIGQUIT, which ends a process that is no JVM, or a JVM that does not catch it (-Xrs, starting)
  grep -q '/libjvm\.so' "/proc/$pid/maps" 2>/dev/null || {
    echo "profile.sh: process $pid is not a Java VM ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))" >&2; return 1; }
  local cgt; cgt=$(awk '/^SigCgt:/{print $2}' "/proc/$pid/status" 2>/dev/null)
  [ -n "$cgt" ] && (( (16#$cgt >> 2) & 1 )) || {
    echo "profile.sh: JVM $pid does not handle SIGQUIT (started with -Xrs, or still starting): jcmd cannot attach to it" >&2; return 1; }
  owner=$(stat -c %u "/proc/$pid")
  [ "$owner" = "$(id -u)" ] || {
    echo "profile.sh: process $pid runs as user $(id -nu "$owner" 2>/dev/null || echo "$owner"): run this script as that user" \
      "(the JVM opens the profiler library and writes the output itself)" >&2; return 1; }
  # the library and the output files are paths the JVM opens: it must see the same files we do
  [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] || {
    echo "profile.sh: process $pid runs in another mount namespace (a container, or systemd's PrivateTmp/ProtectHome):" \
      "run this script inside it" >&2; return 1; }
}
for pid in "${PIDS_[@]}"; do check_pid "$pid" || exit 1; done

cache="${XDG_CACHE_HOME:-$HOME/.cache}/vpc-tunnel/async-profiler-$VERSION"
lib="$cache/$arch/libasyncProfiler.so"
[[ "$lib" != *[,\ \"]* ]] || { echo "profile.sh: the cache path '$lib' has a comma, space or quote: set XDG_CACHE_HOME" >&2; exit 1; }
if [ ! -f "$lib" ]; then
  mkdir -p "$cache/$arch"
  tmpd=$(mktemp -d)
  trap 'rm -rf "$tmpd"' EXIT
  echo "== fetching tools.profiler:async-profiler:$VERSION from Maven Central"
  (cd "$ROOT" && timeout 600 ./mvnw -q -B -N org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="tools.profiler:async-profiler:$VERSION" -DoutputDirectory="$tmpd" >"$tmpd/mvn.log" 2>&1) || {
    tail -20 "$tmpd/mvn.log" >&2; echo "profile.sh: could not fetch async-profiler $VERSION" >&2; exit 1; }
  python3 - "$tmpd/async-profiler-$VERSION.jar" "$arch/libasyncProfiler.so" "$lib.$$" <<'PY'
import shutil, sys, zipfile
jar, name, to = sys.argv[1:]
with zipfile.ZipFile(jar) as z, z.open(name) as src, open(to, 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
  mv -f "$lib.$$" "$lib" # same directory: a rename, so a reader sees the whole file or none
  rm -rf "$tmpd"; trap - EXIT
fi
[ $FETCH_ONLY = 0 ] || { echo "profile.sh: async-profiler $VERSION is in $lib"; exit 0; }

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/vpc-profile.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# jcmd reads key=value pairs in its arguments: the profiler's options go in quotes to reach it whole.
agent() { timeout 30 "$JCMD" "$1" JVMTI.agent_load "$lib" "\"$2\"" 2>&1; }
tried=() started=() SLEEP_PID=""
stop_all() { # also ends the sampling wait when Ctrl-C/TERM comes during it
  local pid
  if [ -n "$SLEEP_PID" ]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
  for pid in "${tried[@]:-}"; do [ -n "$pid" ] && { agent "$pid" "stop,file=$OUT/$pid.collapsed,collapsed,log=$OUT/$pid.log" >/dev/null || true; }; done
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
for pid in "${PIDS_[@]}"; do
  check_pid "$pid" || continue
  tried+=("$pid")
  out=$(agent "$pid" "start,event=cpu,interval=$((INTERVAL_US * 1000)),cstack=vm,file=$OUT/$pid.collapsed,log=$OUT/$pid.log" || true)
  if ! grep -q 'return code: 0' <<<"$out"; then
    # no perf events here (a container, or perf_event_paranoid): the interval timer sees no kernel frames
    out=$(agent "$pid" "start,event=itimer,interval=$((INTERVAL_US * 1000)),file=$OUT/$pid.collapsed,log=$OUT/$pid.log" || true)
    grep -q 'return code: 0' <<<"$out" && echo "   $pid: perf events unavailable, sampling with itimer (no kernel frames)"
  fi
  if grep -q 'return code: 0' <<<"$out"; then started+=("$pid"); else
    why=$(cat "$OUT/$pid.log" 2>/dev/null || true)
    echo "profile.sh: could not start the profiler in $pid: $(grep -m1 -E 'Exception|rror|return code' <<<"$out" | cut -c1-200)${why:+ ($why)}" >&2
  fi
done
[ ${#started[@]} -gt 0 ] || { stop_all; exit 1; }
echo "== sampling ${started[*]} for $SECONDS_ s"
sleep "$SECONDS_" & SLEEP_PID=$!
wait $SLEEP_PID
stop_all
trap - INT TERM
sampled=0
for pid in "${started[@]}"; do
  name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -oE '(edge|connector)(-plain)?\.jar [a-z]+' | head -1 || true)
  echo
  echo "== $pid ${name:-}: $OUT/$pid.collapsed"
  if [ -s "$OUT/$pid.collapsed" ]; then python3 "$ROOT/scripts/lib/profile_summary.py" "$OUT/$pid.collapsed"; sampled=1
  else echo "   no samples (was it busy?)"; fi
done
[ $sampled = 1 ]
