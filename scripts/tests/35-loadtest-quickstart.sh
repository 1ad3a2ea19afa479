#!/usr/bin/env bash
# scripts/loadtest.sh --quickstart as a user runs it: the quickstart setup starts, the load test runs, and everything
# it started is stopped again; also when the script gets SIGTERM while the setup is still starting (nothing left
# running, no port held, no temp dir left), and with a TMPDIR whose path holds a space.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=26800
W=$(mktemp -d "/tmp/vpc lt qs.XXXXXX")
fail() { echo "FAIL: $*"; tail -20 "$W"/*.out 2>/dev/null; exit 1; }
pass() { echo "PASS: $*"; }
LT=""
cleanup() { # by PID: the load test (its trap stops the setup it started), then any setup's own stop.sh
  if [ -n "$LT" ] && kill -0 "$LT" 2>/dev/null; then
    kill -TERM "$LT" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$LT" 2>/dev/null || break; sleep 0.1; done
  fi
  for s in "$W"/vpc-quickstart.*/stop.sh; do if [ -x "$s" ]; then "$s" > /dev/null 2>&1 || true; fi; done
  rm -rf "$W"
}
trap cleanup EXIT
left() { # what of a setup on ports BASE+1..7 is still there
  ss -ltn | awk '{print $4}' | grep -cE ":268(0[1-7])$" || true
}

TMPDIR="$W" QUICKSTART_PORT_BASE=$BASE timeout 600 scripts/loadtest.sh --quickstart --duration 2s --connections 4 \
  > "$W/run.out" 2>&1 || fail "loadtest --quickstart exited $?"
grep -q 'failed:     0 ' "$W/run.out" || fail "no clean result"
[ "$(left)" = 0 ] || fail "ports still held after the run"
ls -d "$W"/vpc-quickstart.* > /dev/null 2>&1 && fail "the quickstart's temp dir was left"
pass "loadtest --quickstart (TMPDIR with a space): $(grep -o '[0-9]* requests/s' "$W/run.out"), all stopped"

TMPDIR="$W" QUICKSTART_PORT_BASE=$BASE scripts/loadtest.sh --quickstart --duration 2s > "$W/term.out" 2>&1 & LT=$!
for i in $(seq 600); do [ "$(left)" -ge 2 ] && break; sleep 0.1; done # the edge is up, the setup not done yet
[ "$(left)" -ge 2 ] || fail "the setup never started listening"
kill -TERM $LT; rc=0; wait $LT || rc=$?
for i in $(seq 100); do [ "$(left)" = 0 ] && break; sleep 0.1; done
[ "$(left)" = 0 ] || fail "SIGTERM while starting: ports still held: $(ss -ltnp | grep -E ':268(0[1-7]) ')"
ls -d "$W"/vpc-quickstart.* > /dev/null 2>&1 && fail "SIGTERM while starting: the quickstart's temp dir was left"
pass "SIGTERM while the setup starts: exit $rc, nothing left running, no temp dir"
echo "35-loadtest-quickstart: all passed"
