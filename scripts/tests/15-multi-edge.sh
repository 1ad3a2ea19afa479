#!/usr/bin/env bash
# Two edges sharing one PostgreSQL directory and one connector given both (--edge A,B --ha-connections 4), as real
# processes on loopback: both gateways reach the private origin; when edge A stops (SIGTERM) its links move to B and B
# keeps serving; when A comes back, the links that belong to A (0 and 2) move back to it without a failed fetch
# through B meanwhile, and A's gateway serves the tunnel again. Needs PostgreSQL's binaries (scripts/test.sh installs
# them); every process is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ ! -x "$PGBIN/initdb" ]; then # scripts/test.sh installs it when it runs as root: then its absence is a failure
  echo "15-multi-edge: no PostgreSQL binaries (apt-get install postgresql)$([ "$(id -u)" = 0 ] || echo '; skipped (not root)')"
  [ "$(id -u)" = 0 ] && exit 1 || exit 0
fi
W=$(mktemp -d /tmp/vpc-multi.XXXXXX)
chmod 755 "$W"
PIDS=()
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
cleanup() {
  for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$W/pg/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl -D $W/pg -m immediate -w stop" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$W"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
pass() { echo "PASS: $*"; }
P=27500
EDGE="java -jar $ROOT/edge/target/edge.jar"
CONN="java -jar $ROOT/connector/target/connector.jar"

mkdir "$W/pg"; [ "$(id -u)" = 0 ] && chown postgres "$W" "$W/pg"
as_pg "$PGBIN/initdb -D $W/pg -U postgres -A trust --no-sync -E UTF8" > "$W/initdb.log" 2>&1 || fail "initdb"
as_pg "$PGBIN/pg_ctl -D $W/pg -o '-h 127.0.0.1 -p $((P+32)) -k $W -c fsync=off' -l $W/pg.log -w -t 30 start" \
  > "$W/pgctl.log" 2>&1 || fail "PostgreSQL did not start"
STORE="jdbc:postgresql://127.0.0.1:$((P+32))/postgres?user=postgres"

$EDGE init --data "$W/a" --store "$STORE" --json > "$W/a.json" 2> "$W/init-a.log" || fail "edge init A"
$EDGE init --data "$W/b" --store "$STORE" --json > "$W/b.json" 2> "$W/init-b.log" || fail "edge init B"
cat "$W/a/edge-ca.pem" "$W/b/edge-ca.pem" > "$W/cas.pem" # each edge has its own CA
export EDGE_API_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$W/a.json")
API=http://127.0.0.1:$((P+180))
# edge NAME OFFSET: ports P+OFFSET+44 (tunnel), +80 (API), +87 (gateway), +90 (metrics)
start_edge() {
  local o=$(( P + $2 ))
  $EDGE serve --data "$W/$1" --store "$STORE" --tunnel-listen 127.0.0.1:$((o+44)) --api-listen 127.0.0.1:$((o+80)) \
    --gateway-listen 127.0.0.1:$((o+87)) --metrics-listen 127.0.0.1:$((o+90)) --grace-period 5s >> "$W/edge-$1.log" 2>&1 &
  eval "PID_$1=$!"; PIDS+=($!)
  for i in $(seq 150); do curl -sf -o /dev/null http://127.0.0.1:$((o+90))/ready && return 0; sleep 0.2; done
  fail "edge $1 not ready"
}
start_edge a 100
start_edge b 200

python3 -m http.server --bind 127.0.0.1 $((P+1)) --directory "$W" > "$W/origin.log" 2>&1 & PIDS+=($!)
echo "private hello" > "$W/hello.txt"
$EDGE tunnel create multi --api $API > "$W/t.txt"
TID=$(awk '/^id:/{print $2}' "$W/t.txt"); awk '/^token:/{print $2}' "$W/t.txt" > "$W/tok"; chmod 600 "$W/tok"
$CONN run --token-file "$W/tok" --edge 127.0.0.1:$((P+144)),127.0.0.1:$((P+244)) --edge-ca "$W/cas.pem" \
  --ha-connections 4 --metrics-listen 127.0.0.1:$((P+91)) > "$W/conn.log" 2>&1 & PIDS+=($!)
$EDGE service create --api $API --json "{\"type\":\"http\",\"name\":\"files\",\"http_port\":$((P+1)),\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}" > "$W/svc.json"
SID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['service_id'])" "$W/svc.json")
printf '{ "name": "w", "main": "index.js", "vpc_services": [ { "binding": "FILES", "service_id": "%s" } ] }' "$SID" > "$W/wrangler.jsonc"
GW=$($EDGE deploy --config "$W/wrangler.jsonc" --api $API | awk '/gateway token/{print $NF}')
# fetch OFFSET: status and cf-vpc-error of one fetch through that edge's gateway
fetch() {
  curl -s -m 10 -o "$W/body" -w '%{http_code} %header{cf-vpc-error}' -x http://127.0.0.1:$((P+$1+87)) \
    -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: FILES" http://files.internal/hello.txt || true
}
# links OFFSET: the link indexes that edge holds for the tunnel, sorted, space-separated
links() {
  $EDGE tunnel connections "$TID" --api http://127.0.0.1:$((P+$1+80)) 2>/dev/null \
    | grep -o '"link_index" *: *[0-9]*' | grep -o '[0-9]*$' | sort | tr '\n' ' ' | sed 's/ $//'
}
wait_for() { # SECONDS WHAT COMMAND...: polls every 0.5 s
  local s=$1 what=$2; shift 2
  for i in $(seq $(( s * 2 ))); do "$@" && return 0; sleep 0.5; done
  fail "$what (after $s s)"
}
both_spread() { [ "$(links 100)" = "0 2" ] && [ "$(links 200)" = "1 3" ]; }
wait_for 60 "links 0 and 2 on edge A, 1 and 3 on edge B" both_spread
wait_for 20 "the writes made through A reach B's directory" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -m 10 -x http://127.0.0.1:$((P+287)) -H 'Proxy-Authorization: Bearer $GW' -H 'cf-vpc-binding: FILES' http://files.internal/hello.txt)\" = 200 ]"
[ "$(fetch 100)" = "200 " ] && [ "$(cat "$W/body")" = "private hello" ] || fail "fetch through edge A: $(fetch 100)"
[ "$(fetch 200)" = "200 " ] || fail "fetch through edge B: $(fetch 200)"
pass "both edges reach the private origin through the binding (links 0 2 on A, 1 3 on B)"

kill -TERM "$PID_a"; wait "$PID_a" 2>/dev/null || true
all_on_b() { [ "$(links 200)" = "0 1 2 3" ]; }
wait_for 60 "every link on edge B after A stopped" all_on_b
[ "$(fetch 200)" = "200 " ] || fail "fetch through B with A down: $(fetch 200)"
pass "edge A stopped (SIGTERM): its links moved to B, which serves the tunnel"

# A stays down over 32 s: the moved links' tries of A fail meanwhile and their wait grows (1, 2, 4, 8, then every
# 10 s), yet once A is back they must reach it within that cap (the earlier 10, 20, 40, 60 s: tries at 10, 30 and
# 70 s after the move, so A ready at ~35 s got its links back ~35 s later)
sleep 32
# fetch through B all along while A comes back and the links move
: > "$W/b-fetches"
( for i in $(seq 600); do [ -f "$W/stop-fetching" ] && break; fetch 200 >> "$W/b-fetches"; echo >> "$W/b-fetches"; sleep 0.1; done ) &
LOOP=$!; PIDS+=($LOOP)
start_edge a 100
t0=$(date +%s)
a_serves() { [ "$(fetch 100)" = "200 " ]; }
wait_for 90 "edge A serves the tunnel again" a_serves
back=$(( $(date +%s) - t0 ))
[ "$back" -le 14 ] || fail "edge A served the tunnel again only ${back} s after it was ready (moved links try their own edge at least every 10 s)"
wait_for 30 "links 0 and 2 back on A, 1 and 3 on B" both_spread
touch "$W/stop-fetching"; wait "$LOOP" 2>/dev/null || true
n=$(grep -c . "$W/b-fetches" || true); bad=$(grep -vc '^200 $' "$W/b-fetches" || true)
[ "$n" -gt 0 ] && [ "$bad" = 0 ] || fail "fetches through B while the links moved: $n, not 200: $bad ($(grep -v '^200 $' "$W/b-fetches" | sort | uniq -c | head -3))"
pass "edge A back: links 0 and 2 moved back to it (A served again ${back} s after its restart), $n fetches through B meanwhile all 200"
grep -q "back on its own edge" "$W/conn.log" || fail "the connector did not log the move back"
echo "15-multi-edge: all passed"
