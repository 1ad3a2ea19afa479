#!/usr/bin/env bash
# systemd's Type=notify readiness, with a Python receiver in systemd's place on NOTIFY_SOCKET and the real launchers:
# `edge serve` sends READY=1 once every listener accepts (an @abstract NOTIFY_SOCKET) and STOPPING=1 on SIGTERM; a
# `connector run` whose edge is down says STATUS (0 links, connecting) and no READY=1, then READY=1 once a link
# registered (its /ready answers 200 at that moment), STOPPING=1 on SIGTERM. Every datagram comes from the launcher's
# own PID (it execs java), which is what deploy/connector.service's NotifyAccess=main accepts.
# Ports 27900-27999 on loopback and a temporary folder; every process it starts is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=$(mktemp -d /tmp/vpc-notify.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$W"/*.log "$W"/*.jsonl; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }
pass() { echo "PASS: $*"; }
P=27900
API=http://127.0.0.1:$((P+80))
EDGE_ARGS=(--data "$W/d" --tunnel-listen 127.0.0.1:$((P+44)) --api-listen 127.0.0.1:$((P+80))
  --gateway-listen 127.0.0.1:$((P+87)) --metrics-listen 127.0.0.1:$((P+90)) --grace-period 5s)
EDGE_PORTS="$((P+44)) $((P+80)) $((P+87)) $((P+90))"

# systemd's end: ADDR (a path, or @name) OUT SECONDS [PROBE...]; one JSON line per datagram into OUT, with the sender's
# PID (SCM_CREDENTIALS, as systemd reads it) and, for READY=1, what each PROBE (an http:// URL, or a TCP port on
# 127.0.0.1) answered right then; stops after STOPPING=1 or SECONDS
cat > "$W/notify.py" <<'PY'
import json, socket, struct, sys, time, urllib.request, urllib.error
addr, out, deadline, probes = sys.argv[1], sys.argv[2], time.time() + float(sys.argv[3]), sys.argv[4:]
def probe(p):
    try:
        if p.startswith('http://'):
            try:
                return urllib.request.urlopen(p, timeout=2).status
            except urllib.error.HTTPError as e:
                return e.code
        socket.create_connection(('127.0.0.1', int(p)), timeout=2).close()
        return 'open'
    except Exception as e:
        return repr(e)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + addr[1:] if addr.startswith('@') else addr)
s.settimeout(0.5)
with open(out, 'a') as f:
    print(json.dumps({'bound': addr}), file=f, flush=True)
    while time.time() < deadline:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        pid = next((struct.unpack('3i', d[:12])[0] for lvl, typ, d in anc
                    if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS), None)
        lines = data.decode().split('\n')
        rec = {'t': time.time(), 'pid': pid, 'lines': lines}
        if 'READY=1' in lines:
            rec['probes'] = {p: probe(p) for p in probes}
        print(json.dumps(rec), file=f, flush=True)
        if 'STOPPING=1' in lines:
            break
PY
# receiver NAME ADDR [PROBE...]: starts one into $W/NAME.jsonl and waits until it is bound
receiver() {
  local name=$1 addr=$2; shift 2
  python3 "$W/notify.py" "$addr" "$W/$name.jsonl" 300 "$@" & PIDS+=($!)
  for i in $(seq 50); do grep -q bound "$W/$name.jsonl" 2>/dev/null && return 0; sleep 0.1; done
  fail "receiver $name did not bind $addr"
}
# got NAME LINE: whether $W/NAME.jsonl holds a datagram with LINE (READY=1, STOPPING=1, ...)
got() { python3 -c 'import json,sys
sys.exit(0 if any(sys.argv[2] in r.get("lines", []) for r in map(json.loads, open(sys.argv[1]))) else 1)' "$W/$1.jsonl" "$2"; }
# await NAME LINE SECONDS
await() { for i in $(seq $(($3 * 5))); do got "$1" "$2" && return 0; sleep 0.2; done; return 1; }
# check NAME PID EXPR: every datagram came from PID, and the Python EXPR holds over r (the READY=1 record) and s (the
# STOPPING=1 record, or None) and recs (all of them)
check() { python3 -c 'import json,sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if "lines" in r]
pids = {r["pid"] for r in recs}
assert pids == {int(sys.argv[2])}, "senders %s, expected %s" % (pids, sys.argv[2])
r = next((x for x in recs if "READY=1" in x["lines"]), None)
s = next((x for x in recs if "STOPPING=1" in x["lines"]), None)
assert eval("(" + sys.argv[3] + ")"), "%s does not hold over %s" % (sys.argv[3], recs)' "$W/$1.jsonl" "$2" "$3" || fail "$1: $(cat "$W/$1.jsonl")"; }

scripts/edge init --data "$W/d" --json > "$W/init.json" 2> "$W/init.log" || fail "edge init"
export EDGE_API_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$W/init.json")

# ---- the edge: READY=1 with every listener bound, at an abstract NOTIFY_SOCKET
receiver edge1 "@vpc-notify-test-$$" $EDGE_PORTS
NOTIFY_SOCKET="@vpc-notify-test-$$" scripts/edge serve "${EDGE_ARGS[@]}" > "$W/edge1.log" 2>&1 & EDGE_PID=$!; PIDS+=($EDGE_PID)
await edge1 READY=1 60 || fail "edge serve sent no READY=1"
check edge1 $EDGE_PID 'all(v == "open" for v in r["probes"].values()) and any(l.startswith("STATUS=serving") for l in r["lines"])'
pass "edge serve: READY=1 (with STATUS) from the launcher's PID once its 4 listeners accept, at an @abstract NOTIFY_SOCKET"
scripts/edge tunnel create t1 --api $API > "$W/t.txt" || fail "tunnel create"
awk '/^token:/{print $2}' "$W/t.txt" > "$W/tok"; chmod 600 "$W/tok"
kill -TERM $EDGE_PID
rc=0; wait $EDGE_PID || rc=$?
[ $rc = 0 ] || fail "edge exit code after SIGTERM: $rc"
check edge1 $EDGE_PID 's is not None and s["t"] > r["t"] and recs[-1] is s'
pass "edge serve: STOPPING=1 on SIGTERM, last, then exit 0"

# ---- the connector with its edge down: it says so, and is not ready
receiver conn "$W/conn.sock" http://127.0.0.1:$((P+91))/ready
NOTIFY_SOCKET="$W/conn.sock" scripts/connector run --token-file "$W/tok" --edge 127.0.0.1:$((P+44)) \
  --edge-ca "$W/d/edge-ca.pem" --metrics-listen 127.0.0.1:$((P+91)) --grace-period 5s > "$W/conn.log" 2>&1 &
CONN_PID=$!; PIDS+=($CONN_PID)
await conn "STATUS=0 of 4 links registered, connecting" 60 || fail "connector: no STATUS while its edge is down"
sleep 2
! got conn READY=1 || fail "connector: READY=1 while no edge is up"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$((P+91))/ready)
[ "$code" = 503 ] || fail "connector /ready with its edge down: $code"
pass "connector, edge down: STATUS=0 of 4 links registered, connecting; no READY=1; /ready 503"

# ---- the edge comes up (a NOTIFY_SOCKET path this time): the connector's READY=1 follows its first registration
receiver edge2 "$W/edge.sock" $EDGE_PORTS
NOTIFY_SOCKET="$W/edge.sock" scripts/edge serve "${EDGE_ARGS[@]}" > "$W/edge2.log" 2>&1 & EDGE_PID=$!; PIDS+=($EDGE_PID)
await edge2 READY=1 60 || fail "edge serve (again) sent no READY=1"
check edge2 $EDGE_PID 'all(v == "open" for v in r["probes"].values())'
await conn READY=1 90 || fail "connector sent no READY=1 after its edge came up"
grep -q "registered with edge" "$W/conn.log" || fail "connector: READY=1 but no link registered"
t_edge=$(python3 -c 'import json,sys; print(next(r["t"] for r in map(json.loads, open(sys.argv[1])) if "READY=1" in r.get("lines", [])))' "$W/edge2.jsonl")
check conn $CONN_PID 'r["probes"]["http://127.0.0.1:'$((P+91))'/ready"] == 200 and r["t"] > '"$t_edge"'
  and any(l.startswith("STATUS=") and "of 4 links registered" in l and not l.startswith("STATUS=0 ") for l in r["lines"])
  and sum("READY=1" in x["lines"] for x in recs) == 1'
pass "connector: READY=1 once, from the launcher's PID, after the edge came up; /ready was 200 when it arrived"

kill -TERM $CONN_PID
rc=0; wait $CONN_PID || rc=$?
[ $rc = 0 ] || fail "connector exit code after SIGTERM: $rc"
check conn $CONN_PID 's is not None and s["t"] > r["t"] and recs[-1] is s and any(l.startswith("STATUS=draining") for l in s["lines"])'
pass "connector: STOPPING=1 (STATUS=draining ...) on SIGTERM, last, then exit 0"
kill -TERM $EDGE_PID
rc=0; wait $EDGE_PID || rc=$?
[ $rc = 0 ] && check edge2 $EDGE_PID 's is not None and recs[-1] is s' || fail "edge (again): SIGTERM exit $rc or no STOPPING=1"
pass "edge serve (again): STOPPING=1 on SIGTERM, exit 0"
