#!/usr/bin/env bash
# scripts/bench.sh end to end, briefly (--quick --skip-idle, one 1 s run per cell: the figures are not measurements):
# every path it drives (direct, ssh -L, ours, the bare relay pair) answers without a wrk error and gets its row with
# the relays' CPU, the table ends with the targets' verdicts, and no process it started is left behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=$(mktemp -d /tmp/vpc-bench-smoke.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; tail -40 "$W/bench.out"; exit 1; }
pass() { echo "PASS: $*"; }
B=27700

set +e; scripts/bench.sh --runs 0 > "$W/bad.out" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "needs a whole number" "$W/bad.out" || { cat "$W/bad.out"; echo "FAIL: --runs 0: exit $rc"; exit 1; }
pass "bench.sh refuses --runs 0 with exit 2"

set +e
BENCH_WARMUP=1 BENCH_PORT_BASE=$B timeout 300 scripts/bench.sh --no-build --quick --skip-idle --runs 1 --duration 1 \
    > "$W/bench.out" 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "bench.sh exited $rc"
for path in direct ssh ours bare; do
  # "1k 50 PATH 1 REQ/S ...": a row with requests/s above 0, and for the relays two CPU columns above 0
  awk -v p=$path '$1=="1k" && $2==50 && $3==p && $5>0 && (p=="direct" || ($(NF-1)>0 && $NF>0)) {ok=1} END{exit !ok}' \
      "$W/bench.out" || fail "no 1k x 50 row with requests/s and CPU for $path"
done
grep -q '^1m *50 ours ' "$W/bench.out" || fail "no 1m x 50 row for ours"
grep -q '^wrk errors in all runs: 0$' "$W/bench.out" || fail "wrk saw errors"
grep -q '^target req/s 1k x 50 >= 1.2 x ssh: \(MET\|MISSED\)' "$W/bench.out" || fail "no verdict for the 1k x 50 target"
grep -q 'bare relay pair (no TLS, no HTTP): [0-9.]* x ssh' "$W/bench.out" || fail "no line for the bare relay pair"
pass "bench.sh measured direct, ssh, ours and the bare relay pair and printed the table and the verdicts"

sleep 1
T=$(sed -n 's/^== nginx on .* (\(.*\))$/\1/p' "$W/bench.out") # bench.sh's temp dir: in every command line it started
[ -n "$T" ] || fail "bench.sh did not say its temp dir"
[ ! -e "$T" ] || fail "bench.sh left $T"
left=$(pgrep -f "$T|BareRelay\.java $((B+5))|BareRelay\.java $((B+6))" || true)
[ -z "$left" ] || { ps -o pid,args -p $left; fail "processes left behind: $left"; }
for p in $((B+1)) $((B+2)) $((B+5)) $((B+6)) $((B+44)) $((B+87)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && fail "port $p still listens after bench.sh"
done
pass "bench.sh stopped every process it started and freed its ports"
