#!/usr/bin/env bash
# The edge and the connector as real processes on loopback: a fetch through a binding, SIGTERM drains on both sides
# (a slow fetch in flight finishes, both exit 0; a connector stopped under load loses no fetch), a wrong tunnel secret makes the connector exit non-zero at once,
# a deleted tunnel's connector loses its links and exits, and garbage on the tunnel port leaves the links up.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
W=$(mktemp -d /tmp/vpc-proc.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$W"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
pass() { echo "PASS: $*"; }
EDGE="java -jar $ROOT/edge/target/edge.jar"
CONN="java -jar $ROOT/connector/target/connector.jar"
P=27000
API=http://127.0.0.1:$((P+80))

$EDGE init --data "$W/d" --json > "$W/init.json"
export EDGE_API_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$W/init.json")
$EDGE serve --data "$W/d" --tunnel-listen 127.0.0.1:$((P+44)) --api-listen 127.0.0.1:$((P+80)) \
  --gateway-listen 127.0.0.1:$((P+87)) --metrics-listen 127.0.0.1:$((P+90)) --grace-period 20s > "$W/edge.log" 2>&1 &
EDGE_PID=$!; PIDS+=($EDGE_PID)
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((P+90))/ready && break; sleep 0.2; done

# a slow origin: /slow answers after 3 s
cat > "$W/origin.py" <<'PY'
import http.server, time, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith('/slow'):
            time.sleep(3)
        body = ('origin saw ' + self.path + ' host=' + str(self.headers.get('Host'))).encode()
        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_POST(self):
        n = len(self.rfile.read(int(self.headers.get('Content-Length', '0'))))
        body = ('origin saw POST ' + self.path + ' with ' + str(n) + ' bytes').encode()
        self.send_response(200 if n > 0 else 400); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
python3 "$W/origin.py" $((P+1)) & PIDS+=($!)

$EDGE tunnel create t1 --api $API > "$W/t.txt"
TID=$(awk '/^id:/{print $2}' "$W/t.txt"); awk '/^token:/{print $2}' "$W/t.txt" > "$W/tok"; chmod 600 "$W/tok"
$CONN run --token-file "$W/tok" --edge 127.0.0.1:$((P+44)) --edge-ca "$W/d/edge-ca.pem" --metrics-listen 127.0.0.1:$((P+91)) \
  --grace-period 10s > "$W/conn.log" 2>&1 &
CONN_PID=$!; PIDS+=($CONN_PID)
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((P+91))/ready && break; sleep 0.2; done
curl -sf -o /dev/null http://127.0.0.1:$((P+91))/ready || fail "connector never became ready"
for i in $(seq 50); do  # the first link registered made it ready; all four soon
  ready=$(curl -sf http://127.0.0.1:$((P+91))/ready); [[ "$ready" == *'"readyConnections":4,'* ]] && break; sleep 0.2
done
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["status"]==200 and r["readyConnections"]==4 and len(r["connectorId"])==36, r' "$ready" \
  || fail "connector /ready body: $ready"
pass "connector registered (/ready 200, body $ready)"

$EDGE service create --api $API --json "{\"type\":\"http\",\"name\":\"slow\",\"http_port\":$((P+1)),\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}" > "$W/svc.json"
SID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['service_id'])" "$W/svc.json")
printf '{ "name": "w", "main": "index.js", "vpc_services": [ { "binding": "API", "service_id": "%s" } ] }' "$SID" > "$W/wrangler.jsonc"
GW=$($EDGE deploy --config "$W/wrangler.jsonc" --api $API | awk '/gateway token/{print $NF}')
fetch() { curl -s -m 20 -x http://127.0.0.1:$((P+87)) -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: API" "$@"; }
[ "$(fetch http://api.internal/hello)" = "origin saw /hello host=api.internal" ] || fail "fetch through the binding"
pass "fetch through the binding reaches the origin with Host = URL host"
h2=$(curl -s -m 20 --http2-prior-knowledge -H "Host: api.internal" -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: API" http://127.0.0.1:$((P+87))/h2c)
[ "$h2" = "origin saw /h2c host=api.internal" ] || fail "h2c prior knowledge: $h2"
pass "h2c (prior knowledge), origin-form with Host"
# scrape PORT FILE PATTERN: the /metrics of 127.0.0.1:PORT into FILE, again every 0.1 s for up to 2 s until it holds
# PATTERN (a fetch is counted once its last write completed, a moment after curl has the answer); the caller checks
scrape() { for i in $(seq 20); do curl -s http://127.0.0.1:$1/metrics > "$2"; grep -q "$3" "$2" && return 0; sleep 0.1; done; }
scrape $((P+90)) "$W/metrics.txt" 'vpc_gateway_fetches_total{binding="API",code="ok"} 2'
grep -q 'vpc_gateway_fetches_total{binding="API",code="ok"} 2' "$W/metrics.txt" || fail "metrics: $(grep vpc_gateway_fetches "$W/metrics.txt")"
grep -q 'vpc_tunnel_links{tunnel_id="'"$TID"'"} 4' "$W/metrics.txt" || fail "metrics: links per tunnel"
pass "edge /metrics counts fetches per binding and links per tunnel"
scrape $((P+91)) "$W/cmetrics.txt" 'vpc_connector_fetches_total{outcome="ok"} 2' # counted when the stream closes
grep -q 'vpc_connector_fetches_total{outcome="ok"} 2' "$W/cmetrics.txt" || fail "connector metrics: $(grep vpc_connector_fetches "$W/cmetrics.txt")"
grep -q 'vpc_connector_responses_total{status_code="200"} 2' "$W/cmetrics.txt" || fail "connector metrics: responses by code"
pass "connector /metrics counts fetches by outcome and responses by status code"
# a deleted worker's binding series leave the scrape (churn of workers would grow it without bound)
printf '{ "name": "w2", "main": "index.js", "vpc_services": [ { "binding": "GONE", "service_id": "%s" } ] }' "$SID" > "$W/w2.jsonc"
GW_GONE=$($EDGE deploy --config "$W/w2.jsonc" --api $API | awk '/gateway token/{print $NF}')
curl -s -m 20 -o /dev/null -x http://127.0.0.1:$((P+87)) -H "Proxy-Authorization: Bearer $GW_GONE" -H "cf-vpc-binding: GONE" http://api.internal/gone
scrape $((P+90)) "$W/metrics-gone.txt" 'vpc_gateway_fetches_total{binding="GONE",code="ok"} 1'
grep -q 'binding="GONE"' "$W/metrics-gone.txt" || fail "metrics: no series for binding GONE"
$EDGE worker delete w2 --api $API > /dev/null || fail "edge worker delete w2"
curl -s http://127.0.0.1:$((P+90))/metrics > "$W/metrics2.txt"
! grep -q 'binding="GONE"' "$W/metrics2.txt" || fail "metrics: the deleted worker's binding is still scraped: $(grep -c 'binding="GONE"' "$W/metrics2.txt") lines"
grep -q 'vpc_gateway_fetches_total{binding="API",code="ok"} 2' "$W/metrics2.txt" || fail "metrics: binding API lost with w2's"
pass "a deleted worker's binding series leave /metrics, the others stay"
$EDGE tunnel list --api $API > "$W/tl.txt"
grep -Eq "^$TID +t1 +20[0-9-]+T[0-9:]+Z +healthy +4x[^ ,]+\$" "$W/tl.txt" || fail "tunnel list: $(cat "$W/tl.txt")"
pass "tunnel list: created, status and links per edge (4x…)"

# scripts/loadtest.sh against this setup: success, errors counted by code (wrk), and h2c
lt() { VPC_GATEWAY_TOKEN=$GW timeout 60 "$ROOT/scripts/loadtest.sh" --gateway 127.0.0.1:$((P+87)) --url http://api.internal/lt \
  --duration 2s --connections 4 "$@" 2> "$W/lt.err"; }
set +e; lt --binding API > "$W/lt1.out"; rc1=$?; lt --binding NOPE > "$W/lt2.out"; rc2=$?; lt --binding API --h2c > "$W/lt3.out"; rc3=$?
lt --binding API --connections 1 --threads 4 > "$W/lt4.out"; rc4=$?
lt --binding API --connections 1 --url 'http://api.internal?x=1#top' > "$W/lt5.out"; rc5=$?
lt --binding API --h2c --method POST > "$W/lt6.out"; rc6=$?
printf '{"n":1}' > "$W/lt \"body\".json"; printf '%s\n' "$GW" > "$W/lt-token"
# POST with a body (the origin answers 400 to an empty one), the token from a file
timeout 60 "$ROOT/scripts/loadtest.sh" --gateway 127.0.0.1:$((P+87)) --url http://api.internal/lt --duration 2s --connections 2 \
  --binding API --method POST --body "$W/lt \"body\".json" --token-file "$W/lt-token" > "$W/lt7.out" 2> "$W/lt7.err"; rc7=$?; set -e
[ $rc1 = 0 ] && grep -q 'requests/s' "$W/lt1.out" && grep -q 'p99' "$W/lt1.out" && grep -q 'failed:     0 ' "$W/lt1.out" \
  || fail "loadtest.sh (rc $rc1): $(cat "$W/lt1.out" "$W/lt.err")"
[ $rc2 = 1 ] && grep -Eq '^  binding_not_found +[0-9]+' "$W/lt2.out" || fail "loadtest.sh, wrong binding (rc $rc2): $(cat "$W/lt2.out")"
[ $rc3 = 0 ] && grep -q 'h2load' "$W/lt3.out" && grep -q 'failed:     0 ' "$W/lt3.out" || fail "loadtest.sh --h2c (rc $rc3): $(cat "$W/lt3.out")"
[ $rc4 = 0 ] && grep -q ' 1 connections, 1 threads' "$W/lt4.out" && grep -q 'failed:     0 ' "$W/lt4.out" \
  || fail "loadtest.sh --connections 1 --threads 4 (rc $rc4): $(cat "$W/lt4.out" "$W/lt.err")"
[ $rc5 = 0 ] && grep -q '^loadtest: http://api.internal/?x=1 through' "$W/lt5.out" && grep -q 'failed:     0 ' "$W/lt5.out" \
  || fail "loadtest.sh --url with a query and no path (rc $rc5): $(cat "$W/lt5.out" "$W/lt.err")"
[ $rc6 = 2 ] && grep -q 'with --h2c, h2load would send GET' "$W/lt.err" \
  || fail "loadtest.sh --h2c --method POST (rc $rc6): $(cat "$W/lt6.out" "$W/lt.err")"
[ $rc7 = 0 ] && grep -q 'failed:     0 ' "$W/lt7.out" && grep -Eq 'bytes/s' "$W/lt7.out" \
  || fail "loadtest.sh --method POST --body --token-file (rc $rc7): $(cat "$W/lt7.out" "$W/lt7.err")"
pass "loadtest.sh: $(awk '/requests\/s/{print $NF, $(NF-1)}' "$W/lt1.out" | head -1); a wrong binding exits 1 with its binding_not_found count; --h2c works; more --threads than --connections runs; a URL with ?query and no path; --h2c refuses --method/--body; POST with --body and --token-file"

# garbage on the tunnel port: the links stay up
head -c 65536 /dev/urandom | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$((P+44))" 2>/dev/null || true
printf 'GET / HTTP/1.1\r\n\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$((P+44))" 2>/dev/null || true
[ "$(fetch http://api.internal/after-garbage)" = "origin saw /after-garbage host=api.internal" ] || fail "links survive garbage"
pass "garbage on the tunnel port does not disturb the links"

# SIGTERM on the connector while a slow fetch is in flight: its /ready turns 503 and new fetches get no_connector at
# once, the fetch in flight completes, the connector exits 0
fetch http://api.internal/slow1 > "$W/slow1.out" & F1=$!
sleep 1
kill -TERM $CONN_PID
sleep 0.5
ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$((P+91))/ready)
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -D "$W/hd.txt" -x http://127.0.0.1:$((P+87)) -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: API" http://api.internal/during-drain)
wait $F1 || true
[ "$ready" = 503 ] || fail "connector /ready while draining: $ready"
[ "$code" = 502 ] && grep -qi "cf-vpc-error: no_connector" "$W/hd.txt" || fail "a new fetch during the connector's drain: got $code"
[ "$(cat "$W/slow1.out")" = "origin saw /slow1 host=api.internal" ] || fail "slow fetch during connector drain: $(cat "$W/slow1.out")"
wait $CONN_PID; rc=$?
[ $rc -eq 0 ] || fail "connector exit code after SIGTERM: $rc"
grep -q "draining" "$W/edge.log" || fail "edge did not log the link draining"
pass "connector SIGTERM: /ready 503 and new fetches no_connector while draining, in-flight slow fetch finished, exit 0"
code=$(curl -s -o /dev/null -w '%{http_code}' -D "$W/h.txt" -x http://127.0.0.1:$((P+87)) -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: API" http://api.internal/x)
[ "$code" = 502 ] && grep -qi "cf-vpc-error: no_connector" "$W/h.txt" || fail "no connector left: got $code"
pass "no connector left: 502 no_connector"

# wrong secret: permanent, the connector exits non-zero with a clear message and does not retry
python3 - "$W/tok" > "$W/badtok" <<'PY'
import base64, json, sys
t = json.loads(base64.b64decode(open(sys.argv[1]).read().strip()))
s = bytearray(base64.b64decode(t['s'])); s[0] ^= 1; t['s'] = base64.b64encode(bytes(s)).decode()
print(base64.b64encode(json.dumps(t).encode()).decode())
PY
chmod 600 "$W/badtok"
set +e
timeout 30 $CONN run --token-file "$W/badtok" --edge 127.0.0.1:$((P+44)) --edge-ca "$W/d/edge-ca.pem" > "$W/bad.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "wrong secret: exit code $rc"
grep -q "invalid tunnel secret" "$W/bad.log" || fail "wrong secret: no clear message"
pass "wrong secret: connector exits $rc with 'invalid tunnel secret'"

# deleting a tunnel revokes it at once: its connector's links close, the connector exits non-zero (its registrations
# are refused as an unknown tunnel), and a network binding to it answers binding_not_found (403), as one to a deleted
# service does
$EDGE tunnel create doomed --api $API > "$W/t2.txt"
TID2=$(awk '/^id:/{print $2}' "$W/t2.txt"); awk '/^token:/{print $2}' "$W/t2.txt" > "$W/tok2"; chmod 600 "$W/tok2"
# (its token from TUNNEL_TOKEN_FILE, as cloudflared users set it)
TUNNEL_TOKEN_FILE="$W/tok2" $CONN run --edge 127.0.0.1:$((P+44)) --edge-ca "$W/d/edge-ca.pem" --metrics-listen 127.0.0.1:$((P+92)) \
  > "$W/doomed.log" 2>&1 &
DOOMED_PID=$!; PIDS+=($DOOMED_PID)
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((P+92))/ready && break; sleep 0.2; done
printf '{ "name": "n", "main": "index.js", "vpc_networks": [ { "binding": "NET", "tunnel_id": "%s" } ] }' "$TID2" > "$W/wrangler2.jsonc"
GW2=$($EDGE deploy --config "$W/wrangler2.jsonc" --api $API | awk '/gateway token/{print $NF}')
net() { curl -s -m 20 -D "$W/nh.txt" -o "$W/nb.txt" -w '%{http_code}' -x http://127.0.0.1:$((P+87)) -H "Proxy-Authorization: Bearer $GW2" -H "cf-vpc-binding: NET" "$@"; }
[ "$(net http://127.0.0.1:$((P+1))/via-doomed)" = 200 ] && grep -q 'origin saw /via-doomed' "$W/nb.txt" || fail "fetch through the doomed tunnel"
$EDGE tunnel delete "$TID2" --api $API > /dev/null || fail "tunnel delete"
for i in $(seq 100); do kill -0 $DOOMED_PID 2>/dev/null || break; sleep 0.2; done
kill -0 $DOOMED_PID 2>/dev/null && fail "the deleted tunnel's connector still runs"
set +e; wait $DOOMED_PID; rc=$?; set -e
[ $rc -ne 0 ] || fail "the deleted tunnel's connector exited 0"
grep -q "unknown tunnel" "$W/doomed.log" || fail "no clear message in the deleted tunnel's connector log"
code=$(net http://127.0.0.1:$((P+1))/after-delete)
[ "$code" = 403 ] && grep -qi "cf-vpc-error: binding_not_found" "$W/nh.txt" || fail "fetch after the tunnel was deleted: got $code"
pass "tunnel delete: links closed at once, its connector exits $rc ('unknown tunnel'), the binding answers binding_not_found"

# A second SIGTERM during the drain stops the connector at once, as cloudflared's does (Ctrl-C twice)
$CONN run --token-file "$W/tok" --edge 127.0.0.1:$((P+44)) --edge-ca "$W/d/edge-ca.pem" --metrics-listen 127.0.0.1:$((P+91)) > "$W/conn3.log" 2>&1 &
C3=$!; PIDS+=($C3)
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((P+91))/ready && break; sleep 0.2; done
fetch http://api.internal/slow3 > /dev/null & F3=$!
for i in $(seq 50); do curl -s http://127.0.0.1:$((P+91))/metrics | grep -q '^vpc_connector_active_streams 1' && break; sleep 0.05; done
kill -TERM $C3 || true; sleep 0.3; t0=$(date +%s%N); kill -TERM $C3 || true
rc=0; wait $C3 || rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $F3 || true
[ $rc -eq 1 ] && [ $ms -lt 1500 ] || fail "second SIGTERM: exit $rc after $ms ms (the slow fetch had 1.7 s to go)"
grep -q "received again" "$W/conn3.log" || fail "second SIGTERM not logged: $(tail -3 "$W/conn3.log")"
pass "connector: a second SIGTERM during the drain stops it at once (exit 1 after $ms ms)"

# A rolling restart: two connectors serve the tunnel and POSTs keep coming while one of them is stopped with SIGTERM.
# Fetches the edge sends it while it learns of the drain are refused and sent again on the other: none fails.
start_conn() { $CONN run --token-file "$W/tok" --edge 127.0.0.1:$((P+44)) --edge-ca "$W/d/edge-ca.pem" \
  --metrics-listen 127.0.0.1:$1 --grace-period 10s > "$W/$2.log" 2>&1 & }
start_conn $((P+93)) conn4; C4=$!; PIDS+=($C4)
start_conn $((P+94)) conn5; C5=$!; PIDS+=($C5)
for port in $((P+93)) $((P+94)); do
  for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$port/ready && break; sleep 0.2; done
done
python3 - $((P+87)) "$GW" > "$W/rolling.txt" 2>&1 <<'PY' & LOAD=$!
import http.client, sys, threading, time
port, token = int(sys.argv[1]), sys.argv[2]
stop = time.time() + 6
results, lock = {}, threading.Lock()
def worker(n):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
    for i in range(300):  # at most 300 per thread, for at most 6 s
        if time.time() > stop:
            break
        try:
            c.request('POST', 'http://api.internal/up%d' % n, body=b'x' * 512,
                      headers={'Proxy-Authorization': 'Bearer ' + token, 'cf-vpc-binding': 'API'})
            r = c.getresponse(); r.read()
            key = str(r.status) + ' ' + (r.getheader('cf-vpc-error') or '')
        except Exception as e:
            key = type(e).__name__
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
        with lock:
            results[key] = results.get(key, 0) + 1
        time.sleep(0.005)
ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(' '.join('%s=%d' % (k.strip().replace(' ', ':'), v) for k, v in sorted(results.items())))
PY
sleep 2
kill -TERM $C4
rc=0; wait $C4 || rc=$?
wait $LOAD || true
out=$(cat "$W/rolling.txt")
[ $rc -eq 0 ] || fail "rolling restart: the stopped connector exited $rc"
[[ "$out" =~ ^200=[0-9]+$ ]] || fail "rolling restart: not every POST answered 200: $out"
pass "rolling restart: SIGTERM on one of two connectors under POST load, every fetch answered 200 ($out), exit 0"
kill -TERM $C5; wait $C5 || true

# SIGTERM on the edge with a slow fetch in flight: /ready turns 503 at once, the fetch finishes, the edge exits 0
$CONN run --token-file "$W/tok" --edge 127.0.0.1:$((P+44)) --edge-ca "$W/d/edge-ca.pem" --metrics-listen 127.0.0.1:$((P+91)) > "$W/conn2.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((P+91))/ready && break; sleep 0.2; done
fetch http://api.internal/slow2 > "$W/slow2.out" & F2=$!
sleep 1
kill -TERM $EDGE_PID
sleep 0.5
ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$((P+90))/ready)
wait $F2 || true
[ "$(cat "$W/slow2.out")" = "origin saw /slow2 host=api.internal" ] || fail "slow fetch during edge drain: $(cat "$W/slow2.out")"
wait $EDGE_PID; rc=$?
[ $rc -eq 0 ] || fail "edge exit code after SIGTERM: $rc"
[ "$ready" = 503 ] || fail "edge /ready while draining: $ready"
pass "edge SIGTERM: /ready 503 while draining, in-flight slow fetch finished, exit 0"
echo "10-processes: all passed"
