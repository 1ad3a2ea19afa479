#!/usr/bin/env bash
# scripts/profile.sh on a real edge under load: it fetches async-profiler, samples the running JVM, writes folded
# stacks holding the gateway's own frames and prints the areas; bad arguments are refused with exit 2; the edge
# keeps serving afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
W=$(mktemp -d /tmp/vpc-prof.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$W"/*.log "$W"/*.out "$W"/prof/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done; exit 1; }
pass() { echo "PASS: $*"; }
P=27300
EDGE="java -jar $ROOT/edge/target/edge.jar"

for a in "--seconds 0" "--seconds x" "--interval-us 10" "--out a,b" "--bogus" "12ab" ""; do
  set +e; scripts/profile.sh $a > "$W/bad.out" 2>&1; rc=$?; set -e
  [ $rc = 2 ] && grep -q "profile.sh:" "$W/bad.out" || fail "profile.sh $a: exit $rc, not 2 with a message"
done
pass "bad arguments are refused with exit 2 and a message"

# jcmd's attach signal (SIGQUIT) would end a process that is no JVM: profile.sh must not send it
# (a background job ignores SIGQUIT, so the sleeper takes the default action back: jcmd would kill it)
python3 -c "import signal, time; signal.signal(signal.SIGQUIT, signal.SIG_DFL); time.sleep(120)" & SLEEPER=$!; PIDS+=($SLEEPER)
for i in $(seq 100); do  # until SIGQUIT (bit 3 of SigIgn) is no longer ignored
  ign=$(awk '/^SigIgn:/{print $2}' /proc/$SLEEPER/status 2>/dev/null || echo 4)
  (( (16#${ign:-4} >> 2) & 1 )) || break; sleep 0.05
done
set +e; scripts/profile.sh --seconds 1 "$SLEEPER" > "$W/notjvm.out" 2>&1; rc=$?; set -e
sleep 0.5
[ $rc = 1 ] && grep -q "not a Java VM" "$W/notjvm.out" && kill -0 "$SLEEPER" || fail "profile.sh on a process that is no JVM: exit $rc, alive: $(kill -0 $SLEEPER 2>/dev/null && echo yes || echo no)"
pass "a process id that is no JVM is refused and the process lives on"

$EDGE init --data "$W/d" --json > "$W/init.json"
$EDGE serve --data "$W/d" --tunnel-listen 127.0.0.1:$((P+44)) --api-listen 127.0.0.1:$((P+80)) \
  --gateway-listen 127.0.0.1:$((P+87)) --metrics-listen 127.0.0.1:$((P+90)) > "$W/edge.log" 2>&1 &
EDGE_PID=$!; PIDS+=($EDGE_PID)
for i in $(seq 100); do curl -sf -m 2 -o /dev/null http://127.0.0.1:$((P+90))/ready && break; sleep 0.2; done
curl -sf -m 2 -o /dev/null http://127.0.0.1:$((P+90))/ready || fail "edge never became ready"
# the profiler's jar first (Maven Central, once per machine), so that the load below runs while it samples
timeout 600 scripts/profile.sh --fetch-only > "$W/fetch.out" 2>&1 || fail "profile.sh --fetch-only exited $?"

# load: requests with an unknown worker token, answered by the gateway itself (401), until the profile is taken
timeout 120 wrk -t1 -c8 -d100s -H "Proxy-Authorization: Bearer gw_unknown" -H "cf-vpc-binding: X" \
  http://127.0.0.1:$((P+87))/x > "$W/wrk.out" 2>&1 &
WRK=$!; PIDS+=($WRK)
sleep 2
rc=0; timeout 90 scripts/profile.sh --seconds 5 --out "$W/prof" "$EDGE_PID" > "$W/profile.out" 2>&1 || rc=$?
kill "$WRK" 2>/dev/null || true; wait "$WRK" 2>/dev/null || true
[ $rc = 0 ] || fail "profile.sh exited $rc"
[ -s "$W/prof/$EDGE_PID.collapsed" ] || fail "no folded stacks written"
grep -q 'dev/vpctunnel/edge/gateway' "$W/prof/$EDGE_PID.collapsed" || fail "the profile holds none of the gateway's frames"
n=$(awk '/ samples$/{print $1; exit}' "$W/profile.out")
[ "${n:-0}" -gt 50 ] || fail "only ${n:-0} samples"
grep -Eq '^ +[0-9.]+ %  our code$' "$W/profile.out" || fail "no 'our code' area in the summary"
pass "profile of the edge under load: $n samples, folded stacks with the gateway's frames, areas printed"

code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -x http://127.0.0.1:$((P+87)) -H "Proxy-Authorization: Bearer gw_unknown" http://a.internal/)
[ "$code" = 401 ] && kill -0 "$EDGE_PID" || fail "edge after profiling: gateway answered $code"
pass "the edge keeps serving after the profile"
