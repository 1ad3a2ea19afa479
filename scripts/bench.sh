#!/usr/bin/env bash
# Benchmark of the tunnel against the direct path and an `ssh -L` tunnel, all on loopback, in one run.
#
#   scripts/bench.sh [--no-build] [--duration S] [--runs N] [--idle N] [--skip-idle] [--quick]
#
# Builds (./mvnw -q package -DskipTests), then starts in a temp dir: nginx (static 1 KiB and 1 MiB files), a temp
# sshd with an `ssh -N -L` forward to nginx, the edge, a connector, and a worker with a binding to nginx. wrk then
# drives each path (direct = wrk->nginx, ssh = wrk->ssh -L->sshd->nginx, ours = wrk->edge gateway->TLS/HTTP2
# link->connector->nginx) for 1 KiB and 1 MiB bodies at 1, 50 and 500 connections, interleaving the paths so
# machine noise hits all of them alike. Target cells (1 KiB x 50, 1 MiB x all) run --runs times (default 3) and the
# table shows medians. Then the idle test: N (default 10000) HTTP/1.1 requests held open through the tunnel
# against an origin that never answers, with the edge's and the connector's RSS.
# Every process started here is stopped by PID on exit. Needs root for the temp sshd (root's authorized key).
# Environment: EDGE_JAVA_OPTS / CONNECTOR_JAVA_OPTS pass JVM flags; BENCH_PORT_BASE (default 19400).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=1 DURATION=5 RUNS=3 IDLE=10000 DO_IDLE=1 QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --duration) DURATION=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --skip-idle) DO_IDLE=0 ;;
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

B=${BENCH_PORT_BASE:-19400}
P_NGINX=$((B+1)) P_SSHFWD=$((B+2)) P_HOLD=$((B+3)) P_SSHD=$((B+22))
P_TUN=$((B+44)) P_API=$((B+80)) P_GW=$((B+87)) P_EM=$((B+90)) P_CM=$((B+91))
T=$(mktemp -d /tmp/vpc-bench.XXXXXX); chmod 755 "$T"
PIDS=()
cleanup() {
  local rc=$?
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[$i]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_http() { # url tries
  for _ in $(seq "${2:-100}"); do curl -sf -o /dev/null --max-time 1 "$1" && return 0; sleep 0.2; done
  echo "bench.sh: $1 did not come up" >&2; return 1
}

if [ $BUILD = 1 ]; then
  echo "== building"
  ./mvnw -q package -DskipTests
fi

echo "== nginx on 127.0.0.1:$P_NGINX ($T)"
mkdir -p "$T/www" "$T/nginx"
head -c 1024 /dev/urandom > "$T/www/1k.bin"
head -c 1048576 /dev/urandom > "$T/www/1m.bin"
cat > "$T/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 120s;
  client_body_temp_path $T/nginx/tmp; proxy_temp_path $T/nginx/tmp; fastcgi_temp_path $T/nginx/tmp;
  uwsgi_temp_path $T/nginx/tmp; scgi_temp_path $T/nginx/tmp;
  types { application/octet-stream bin; }
  server { listen 127.0.0.1:$P_NGINX; root $T/www; }
}
EOF
mkdir -p "$T/nginx/tmp"
/usr/sbin/nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" & PIDS+=($!)
wait_http "http://127.0.0.1:$P_NGINX/1k.bin"

echo "== sshd on 127.0.0.1:$P_SSHD, ssh -L 127.0.0.1:$P_SSHFWD -> nginx"
mkdir -p "$T/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/user" >/dev/null
cp "$T/ssh/user.pub" "$T/ssh/authorized_keys"
cat > "$T/ssh/sshd_config" <<EOF
Port $P_SSHD
ListenAddress 127.0.0.1
HostKey $T/ssh/host
AuthorizedKeysFile $T/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
PidFile $T/ssh/sshd.pid
EOF
/usr/sbin/sshd -D -e -f "$T/ssh/sshd_config" 2> "$T/ssh/sshd.log" & PIDS+=($!)
sleep 0.5
ssh -N -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
    -o LogLevel=ERROR -i "$T/ssh/user" -p "$P_SSHD" -L "127.0.0.1:$P_SSHFWD:127.0.0.1:$P_NGINX" root@127.0.0.1 & PIDS+=($!)
wait_http "http://127.0.0.1:$P_SSHFWD/1k.bin"
SSH_CIPHER=$(grep -o 'cipher: [^ ]*' "$T/ssh/sshd.log" | head -1 || true)

echo "== edge and connector"
E="$ROOT/scripts/edge"; C="$ROOT/scripts/connector"
$E init --data "$T/edge" --json > "$T/init.json"
export EDGE_API_TOKEN
EDGE_API_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$T/init.json")
API=http://127.0.0.1:$P_API
$E serve --data "$T/edge" --tunnel-listen 127.0.0.1:$P_TUN --api-listen 127.0.0.1:$P_API \
    --gateway-listen 127.0.0.1:$P_GW --metrics-listen 127.0.0.1:$P_EM > "$T/edge.log" 2>&1 & EDGE_PID=$!; PIDS+=($EDGE_PID)
wait_http "http://127.0.0.1:$P_EM/ready" 150
$E tunnel create bench --api $API > "$T/tunnel.txt"
TID=$(awk '/^id:/{print $2}' "$T/tunnel.txt")
awk '/^token:/{print $2}' "$T/tunnel.txt" > "$T/tunnel.tok"; chmod 600 "$T/tunnel.tok"
$C run --token-file "$T/tunnel.tok" --edge 127.0.0.1:$P_TUN --edge-ca "$T/edge/edge-ca.pem" \
    --metrics-listen 127.0.0.1:$P_CM > "$T/connector.log" 2>&1 & CONN_PID=$!; PIDS+=($CONN_PID)
for _ in $(seq 150); do curl -sf -o /dev/null --max-time 1 http://127.0.0.1:$P_CM/ready && break; sleep 0.2; done
curl -sf -o /dev/null http://127.0.0.1:$P_CM/ready || { echo "connector not ready"; tail "$T/connector.log"; exit 1; }
svc() { $E service create --api $API --json "{\"type\":\"http\",\"name\":\"$1\",\"http_port\":$2,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}" \
  | python3 -c "import json,sys;print(json.load(sys.stdin)['service_id'])"; }
SID_WEB=$(svc web $P_NGINX); SID_HOLD=$(svc hold $P_HOLD)
cat > "$T/wrangler.jsonc" <<EOF
{ "name": "bench", "main": "index.js",
  "vpc_services": [ { "binding": "WEB", "service_id": "$SID_WEB" }, { "binding": "HOLD", "service_id": "$SID_HOLD" } ] }
EOF
echo 'export default {}' > "$T/index.js"
$E deploy --config "$T/wrangler.jsonc" --api $API > "$T/deploy.txt"
GW_TOKEN=$(sed -n 's/^gateway token (shown once): //p' "$T/deploy.txt")
OURS_H=(-H "Host: web.internal" -H "Proxy-Authorization: Bearer $GW_TOKEN" -H "cf-vpc-binding: WEB")
ok=0
for _ in $(seq 50); do curl -sf -o /dev/null --max-time 2 "${OURS_H[@]}" "http://127.0.0.1:$P_GW/1k.bin" && { ok=1; break; }; sleep 0.2; done
[ $ok = 1 ] || { echo "tunnel path does not work:"; curl -s -i "${OURS_H[@]}" "http://127.0.0.1:$P_GW/1k.bin" | head -20; exit 1; }
echo "   edge pid $EDGE_PID, connector pid $CONN_PID, JVM opts edge='${EDGE_JAVA_OPTS:-}' connector='${CONNECTOR_JAVA_OPTS:-}'"

TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
RES="$T/results.tsv"
: > "$RES"
# measure PATH SIZE CONNS RUN [record]: one wrk run; appends a line to $RES
measure() {
  local path=$1 size=$2 conns=$3 run=$4 url threads=2 out e0 c0 e1 c1
  [ "$conns" -lt 2 ] && threads=1
  local hdr=()
  case $path in
    direct) url=http://127.0.0.1:$P_NGINX/$size.bin ;;
    ssh) url=http://127.0.0.1:$P_SSHFWD/$size.bin ;;
    ours) url=http://127.0.0.1:$P_GW/$size.bin; hdr=("${OURS_H[@]}") ;;
  esac
  e0=$(cpu_ticks $EDGE_PID); c0=$(cpu_ticks $CONN_PID)
  out=$(wrk -t$threads -c"$conns" -d"${DURATION}s" --timeout 10s -s "$ROOT/scripts/wrk/report.lua" "${hdr[@]}" "$url" 2>&1 | grep '^WRK ' || true)
  e1=$(cpu_ticks $EDGE_PID); c1=$(cpu_ticks $CONN_PID)
  if [ -z "$out" ]; then echo "   wrk failed for $path $size x $conns" >&2; return 0; fi
  [ "${5:-1}" = 1 ] || return 0
  local kv; kv=$(echo "$out" | tr ' ' '\n' | grep = | tr '\n' ' ')
  echo "$path $size $conns $run $kv edge_ticks=$((e1-e0)) conn_ticks=$((c1-c0))" >> "$RES"
  echo "   $path $size x $conns run $run: $(echo "$out" | awk '{for(i=2;i<=NF;i++){split($i,a,"="); v[a[1]]=a[2]} printf "%d req, %.0f req/s, p99 %.1f ms, errors %d/%d/%d/%d", v["requests"], v["requests"]/(v["duration_us"]/1e6), v["p99"]/1000, v["err_connect"], v["err_read"], v["err_status"], v["err_timeout"]}')"
}

echo "== warm-up (JIT)"
measure ours 1k 50 0 0; measure ours 1m 50 0 0; measure ssh 1k 50 0 0
SIZES="1k 1m"; CONNS="1 50 500"
[ $QUICK = 1 ] && { CONNS="50"; RUNS=1; }
echo "== measuring (${DURATION}s per run, $RUNS runs for the target cells)"
for size in $SIZES; do
  for conns in $CONNS; do
    n=1
    if [ "$size" = 1m ] || [ "$conns" = 50 ]; then n=$RUNS; fi
    for run in $(seq "$n"); do
      for path in direct ssh ours; do measure $path $size $conns $run; done
    done
  done
done
EDGE_HWM=$(awk '/VmHWM/{print $2}' /proc/$EDGE_PID/status); CONN_HWM=$(awk '/VmHWM/{print $2}' /proc/$CONN_PID/status)

IDLE_LINE="idle test skipped"
if [ $DO_IDLE = 1 ]; then
  echo "== idle test: $IDLE requests held open through the tunnel"
  python3 "$ROOT/scripts/bench/idle.py" origin $P_HOLD "$T/held" > "$T/hold.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 50); do [ -s "$T/held" ] && break; sleep 0.1; done
  e_before=$(awk '/VmRSS/{print $2}' /proc/$EDGE_PID/status); c_before=$(awk '/VmRSS/{print $2}' /proc/$CONN_PID/status)
  python3 "$ROOT/scripts/bench/idle.py" clients 127.0.0.1:$P_GW "$IDLE" 120 "Host: hold.internal" \
      "Proxy-Authorization: Bearer $GW_TOKEN" "cf-vpc-binding: HOLD" > "$T/idle-clients.log" 2>&1 & CL_PID=$!; PIDS+=($CL_PID)
  held=0; t0=$(date +%s)
  for _ in $(seq 240); do
    held=$(cat "$T/held" 2>/dev/null || echo 0)
    [ "$held" -ge "$IDLE" ] && break
    kill -0 $CL_PID 2>/dev/null || break
    sleep 0.5
  done
  sleep 2
  held=$(cat "$T/held" 2>/dev/null || echo 0)
  e_rss=$(awk '/VmRSS/{print $2}' /proc/$EDGE_PID/status); c_rss=$(awk '/VmRSS/{print $2}' /proc/$CONN_PID/status)
  streams=$(curl -s http://127.0.0.1:$P_EM/metrics | awk '/^[a-z_]*(open|active)_streams/{s+=$2} END{print s+0}')
  kill $CL_PID 2>/dev/null || true
  cat "$T/idle-clients.log"
  IDLE_LINE=$(printf 'idle: %d of %d requests held at the origin after %ds; RSS edge %.0f MiB (before %.0f), connector %.0f MiB (before %.0f), sum %.0f MiB' \
     "$held" "$IDLE" $(( $(date +%s) - t0 )) "$(echo "$e_rss/1024" | bc -l)" "$(echo "$e_before/1024" | bc -l)" \
     "$(echo "$c_rss/1024" | bc -l)" "$(echo "$c_before/1024" | bc -l)" "$(echo "($e_rss+$c_rss)/1024" | bc -l)")
  echo "$IDLE_LINE"
fi

echo
echo "== results ($(date -u +%FT%TZ), $(nproc) cores, ${DURATION}s per run, medians of $RUNS for 1k x 50 and 1m, ssh ${SSH_CIPHER:-default cipher})"
python3 - "$RES" "$TCK" "$EDGE_HWM" "$CONN_HWM" "$IDLE_LINE" <<'EOF'
import sys, statistics as st, collections
res, tck, ehwm, chwm, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cells = collections.defaultdict(list)
for line in open(res):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[4:])
    kv = {k: float(v) for k, v in kv.items()}
    cells[(f[1], int(f[2]), f[0])].append(kv)
def med(rows, fn): return st.median(fn(r) for r in rows)
agg = {}
for k, rows in cells.items():
    agg[k] = dict(
        rps=med(rows, lambda r: r["requests"] / (r["duration_us"] / 1e6)),
        p50=med(rows, lambda r: r["p50"] / 1000), p99=med(rows, lambda r: r["p99"] / 1000),
        mbs=med(rows, lambda r: r["bytes"] / (r["duration_us"] / 1e6) / 1048576),
        err=sum(r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"] for r in rows),
        ecpu=sum(r["edge_ticks"] for r in rows) / tck / max(1, sum(r["requests"] for r in rows)) * 10000,
        ccpu=sum(r["conn_ticks"] for r in rows) / tck / max(1, sum(r["requests"] for r in rows)) * 10000,
        n=len(rows))
print(f"{'size':4} {'conns':>5} {'path':6} {'runs':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'MB/s':>8} {'errors':>6} {'edge cpu s/10k':>14} {'conn cpu s/10k':>14}")
for size in ("1k", "1m"):
    for conns in (1, 50, 500):
        for path in ("direct", "ssh", "ours"):
            a = agg.get((size, conns, path))
            if not a: continue
            cpu = f"{a['ecpu']:14.2f} {a['ccpu']:14.2f}" if path == "ours" else ""
            print(f"{size:4} {conns:5} {path:6} {a['n']:4} {a['rps']:9.0f} {a['p50']:8.2f} {a['p99']:8.2f} {a['mbs']:8.1f} {a['err']:6.0f} {cpu}")
print()
print(f"{'size':4} {'conns':>5} {'req/s ours/ssh':>14} {'req/s ours/direct':>17} {'p99 ours/ssh':>12} {'MB/s ours/ssh':>13}")
for size in ("1k", "1m"):
    for conns in (1, 50, 500):
        o, s, d = (agg.get((size, conns, p)) for p in ("ours", "ssh", "direct"))
        if not (o and s and d): continue
        print(f"{size:4} {conns:5} {o['rps']/s['rps']:14.2f} {o['rps']/d['rps']:17.2f} {o['p99']/s['p99']:12.2f} {o['mbs']/s['mbs']:13.2f}")
print()
print(f"peak RSS during the throughput runs: edge {ehwm/1024:.0f} MiB, connector {chwm/1024:.0f} MiB")
print(idle)
print()
def verdict(name, ok, detail): print(f"target {name}: {'MET' if ok else 'MISSED'} ({detail})")
o, s = agg.get(("1k", 50, "ours")), agg.get(("1k", 50, "ssh"))
if o and s:
    verdict("req/s 1k x 50 >= 1.2 x ssh", o["rps"] >= 1.2 * s["rps"], f"{o['rps']/s['rps']:.2f} x")
    verdict("p99 1k x 50 <= 1.5 x ssh", o["p99"] <= 1.5 * s["p99"], f"{o['p99']/s['p99']:.2f} x")
for conns in (1, 50, 500):
    o, s = agg.get(("1m", conns, "ours")), agg.get(("1m", conns, "ssh"))
    if o and s:
        verdict(f"MB/s 1m x {conns} >= 1.0 x ssh", o["mbs"] >= s["mbs"], f"{o['mbs']/s['mbs']:.2f} x")
bad = sum(a["err"] for a in agg.values())
print(f"wrk errors in all runs: {bad:.0f}")
EOF
