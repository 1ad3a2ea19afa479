#!/usr/bin/env bash
# scripts/edge and scripts/connector keep the JVM's own warnings off stdout: with flags that make the JVM warn at start
# (a young generation as large as the initial heap), `edge init --json` still prints JSON alone and `--version` one
# line, and the warning appears on stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=$(mktemp -d /tmp/vpc-launch.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; for f in "$W"/*.out "$W"/*.err; do [ -f "$f" ] && { echo "--- $f"; head -20 "$f"; }; done; exit 1; }
pass() { echo "PASS: $*"; }
WARN="-Xmn64m" # next to the launchers' -Xms64m: "NewSize was set larger than initial heap size"

EDGE_JAVA_OPTS=$WARN timeout 60 scripts/edge init --data "$W/d" --json > "$W/init.out" 2> "$W/init.err" || fail "edge init exited $?"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['api_token']" "$W/init.out" 2>/dev/null || fail "edge init --json: stdout is not the JSON alone"
grep -q "warning" "$W/init.err" || fail "the JVM gave no warning on stderr with $WARN: this test no longer provokes one"
pass "scripts/edge: a JVM warning goes to stderr, 'init --json' prints JSON alone"

for tool in edge connector; do
  opts="${tool^^}_JAVA_OPTS"
  env "$opts=$WARN" timeout 60 "scripts/$tool" --version > "$W/$tool.out" 2> "$W/$tool.err" || fail "$tool --version exited $?"
  [ "$(wc -l < "$W/$tool.out")" = 1 ] && grep -Eq "^$tool [0-9]" "$W/$tool.out" || fail "$tool --version: stdout is not one version line"
  grep -q "warning" "$W/$tool.err" || fail "$tool: no JVM warning on stderr with $WARN"
done
pass "scripts/edge and scripts/connector --version: one line on stdout, the JVM's warning on stderr"

# Whatever JVM flags the user gives, a JVM out of heap exits instead of holding its ports while answering nothing.
for tool in edge connector; do
  line=$(env "${tool^^}_JVM_DEFAULTS=" "${tool^^}_JAVA_OPTS=-Xmx256m" bash -x "scripts/$tool" --version 2>&1 >/dev/null | grep -E '^[+]+ exec ' || true)
  [[ $line == *" -XX:+ExitOnOutOfMemoryError "*"-Xmx256m"* ]] || fail "$tool: the java line lacks -XX:+ExitOnOutOfMemoryError before the user's flags: $line"
done
pass "scripts/edge and scripts/connector: -XX:+ExitOnOutOfMemoryError with the user's own JVM flags and no defaults"

# A low open-file limit (the JVM raises its soft limit to the hard one, so the hard one counts) is said at start, with
# the share the worker gateway may hold. Ports 28100-28103 on loopback (no other suite uses them).
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 600 ] || fail "the hard open-file limit is $(ulimit -Hn): under the 600 this check sets"
(ulimit -n 600; exec timeout 60 scripts/edge serve --data "$W/d" --tunnel-listen 127.0.0.1:28100 --api-listen 127.0.0.1:28101 \
  --gateway-listen 127.0.0.1:28102 --metrics-listen 127.0.0.1:28103) > "$W/serve.out" 2> "$W/serve.err" & SERVE=$!
for i in $(seq 150); do grep -q "worker gateway ready" "$W/serve.err" 2>/dev/null && break; sleep 0.2; done
kill -TERM $SERVE 2>/dev/null || true; wait $SERVE 2>/dev/null || true
grep -q "worker gateway ready on 127.0.0.1:28102 (up to 344 worker connections)" "$W/serve.err" || fail "edge serve with 600 files: no gateway limit of 344 said"
grep -q "the edge's open-file limit is 600: the worker gateway may hold 344 connections" "$W/serve.err" || fail "edge serve with 600 files: no warning about the limit"
pass "edge serve under a 600-file limit warns of it and caps the gateway at 344 connections"
