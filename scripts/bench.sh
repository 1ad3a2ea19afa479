#!/usr/bin/env bash
# Benchmark of the tunnel against the direct path and an `ssh -L` tunnel, all on loopback, in one run.
#
#   scripts/bench.sh [--no-build] [--duration S] [--runs N] [--idle N] [--skip-idle] [--quick] [--idle-only] [--setup-only SECONDS]
#
# Builds (./mvnw -q package -DskipTests), then starts in a temp dir: nginx (static 1 KiB and 1 MiB files), a temp
# sshd with an `ssh -N -L` forward to nginx, the edge, a connector, and a worker with a binding to nginx. wrk then
# drives each path (direct = wrk->nginx, ssh = wrk->ssh -L->sshd->nginx, ours = wrk->edge gateway->TLS/HTTP2
# link->connector->nginx) for 1 KiB and 1 MiB bodies at 1, 50 and 500 connections, interleaving the paths so
# machine noise hits all of them alike. At 1 KiB x 50 also bare = wrk->two bare Netty TCP relays->nginx
# (scripts/bench/BareRelay.java: no TLS, no HTTP), the floor of a relay on the JVM. Target cells (1 KiB x 50, 1 MiB x all) run --runs times (default 3) and the
# table shows medians. First (on fresh JVMs) the idle test: N (default 10000) HTTP/1.1 requests held open through the tunnel
# against an origin that never answers, with the edge's and the connector's RSS.
# Every process started here is stopped by PID on exit. Needs root for the temp sshd (root's authorized key).
# Environment: EDGE_JAVA_OPTS / CONNECTOR_JAVA_OPTS pass JVM flags, EDGE_ARGS / CONNECTOR_ARGS extra arguments of
# `edge serve` / `connector run`; B_EDGE_JAVA_OPTS / B_CONNECTOR_JAVA_OPTS / B_EDGE_ARGS / B_CONNECTOR_ARGS start a
# second edge+connector pair ("ours-b") measured side by side with the first, for A/B comparisons (B_ROOT=DIR runs
# that pair from another built checkout, e.g. an older commit); BENCH_WARMUP seconds of JIT warm-up (default 20); BENCH_PORT_BASE (default 19400).
set -euo pipefail
cd "${BENCH_ROOT:-$(dirname "$0")/..}"
ROOT=$PWD
IDLE_ONLY=0 SETUP_ONLY=0 BUILD=1 DURATION=5 RUNS=3 IDLE=10000 DO_IDLE=1 QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration|--runs|--idle|--setup-only) # each takes a whole number, at least 1
      [[ "${2:-}" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || { echo "bench.sh: $1 needs a whole number of at least 1 (try --help)" >&2; exit 2; } ;;
  esac
  case "$1" in
    --no-build) BUILD=0 ;;
    --duration) DURATION=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --skip-idle) DO_IDLE=0 ;;
    --idle-only) IDLE_ONLY=1 ;;
    --quick) QUICK=1 ;;
    --setup-only) SETUP_ONLY=$2; shift ;;
    -h|--help) sed -n '2,18{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
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
command -v bc >/dev/null || need+=(bc)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

B=${BENCH_PORT_BASE:-19400}
P_NGINX=$((B+1)) P_SSHFWD=$((B+2)) P_HOLD=$((B+3)) P_BARE=$((B+5)) P_BARE2=$((B+6)) P_SSHD=$((B+22))
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

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $P_NGINX $P_SSHFWD $P_HOLD $P_BARE $P_BARE2 $P_SSHD $P_TUN $P_API $P_GW $P_EM $P_CM $((P_GW+200)) $((P_EM+200)); do
  for _ in $(seq 60); do port_busy $p || break; sleep 0.5; done
  port_busy $p && { echo "bench.sh: port $p is in use (another bench? set BENCH_PORT_BASE)" >&2; exit 1; }
done

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
/usr/sbin/nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" & NGINX_PID=$!; PIDS+=($!)
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
/usr/sbin/sshd -D -e -f "$T/ssh/sshd_config" 2> "$T/ssh/sshd.log" & SSHD_PID=$!; PIDS+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$P_SSHD") 2>/dev/null && break; sleep 0.1; done # sshd listening (10 s at most)
ssh -N -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
    -o LogLevel=ERROR -i "$T/ssh/user" -p "$P_SSHD" -L "127.0.0.1:$P_SSHFWD:127.0.0.1:$P_NGINX" root@127.0.0.1 & SSH_PID=$!; PIDS+=($!)
wait_http "http://127.0.0.1:$P_SSHFWD/1k.bin"
SSH_CIPHER=$(grep -o 'cipher: [^ ]*' "$T/ssh/sshd.log" | head -1 || true)

# The floor for a relay on the JVM and Netty: two bare TCP relays in a row (scripts/bench/BareRelay.java: no TLS, no
# HTTP), with the launchers' JVM defaults (scripts/lib/jvm-defaults.sh) and one event loop per core like ours; 1k x 50 only
echo "== bare relay pair 127.0.0.1:$P_BARE -> 127.0.0.1:$P_BARE2 -> nginx (the floor of a Java relay)"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
. "$ROOT/scripts/lib/jvm-defaults.sh"
bare_relay() { # exec: $! is the JVM's PID, for its CPU
  exec "$JAVA" $JVM_DEFAULTS -cp "$ROOT/edge/target/edge.jar" "$ROOT/scripts/bench/BareRelay.java" "$1" "$2" "$(nproc)" > "$T/bare-$1.log" 2>&1
}
bare_relay $P_BARE2 $P_NGINX & BARE2_PID=$!; PIDS+=($!)
bare_relay $P_BARE $P_BARE2 & BARE_PID=$!; PIDS+=($!)
wait_http "http://127.0.0.1:$P_BARE/1k.bin" 150

E="$ROOT/scripts/edge"; C="$ROOT/scripts/connector"
declare -A EPID CPID GWP TOK
# start_pair TAG PORT_OFFSET EDGE_JAVA_OPTS CONNECTOR_JAVA_OPTS EDGE_ARGS CONNECTOR_ARGS: an edge, a connector, a
# tunnel, services for nginx and the holding origin, a worker with bindings WEB and HOLD
start_pair() {
  local tag=$1 o=$2 d="$T/$1" E=$E C=$C
  if [ "$tag" = ours-b ] && [ -n "${B_ROOT:-}" ]; then E="$B_ROOT/scripts/edge"; C="$B_ROOT/scripts/connector"; fi
  local tun=$((P_TUN+o)) api=$((P_API+o)) gw=$((P_GW+o)) em=$((P_EM+o)) cm=$((P_CM+o))
  echo "== edge and connector '$tag' (JVM opts edge='$3' connector='$4', args edge='$5' connector='$6')"
  mkdir -p "$d"; chmod 700 "$d" # its tokens; only $T itself is open, for nginx's files
  "$E" init --data "$d/edge" --json > "$d/init.json"
  local apitok; apitok=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$d/init.json")
  EDGE_JAVA_OPTS="$3" "$E" serve --data "$d/edge" --tunnel-listen 127.0.0.1:$tun --api-listen 127.0.0.1:$api \
      --gateway-listen 127.0.0.1:$gw --metrics-listen 127.0.0.1:$em $5 > "$d/edge.log" 2>&1 & EPID[$tag]=$!; PIDS+=($!)
  wait_http "http://127.0.0.1:$em/ready" 150
  EDGE_API_TOKEN=$apitok "$E" tunnel create bench --api http://127.0.0.1:$api > "$d/tunnel.txt"
  local tid; tid=$(awk '/^id:/{print $2}' "$d/tunnel.txt")
  awk '/^token:/{print $2}' "$d/tunnel.txt" > "$d/tunnel.tok"; chmod 600 "$d/tunnel.tok"
  CONNECTOR_JAVA_OPTS="$4" "$C" run --token-file "$d/tunnel.tok" --edge 127.0.0.1:$tun --edge-ca "$d/edge/edge-ca.pem" \
      --metrics-listen 127.0.0.1:$cm $6 > "$d/connector.log" 2>&1 & CPID[$tag]=$!; PIDS+=($!)
  for _ in $(seq 150); do curl -sf -o /dev/null --max-time 1 http://127.0.0.1:$cm/ready && break; sleep 0.2; done
  curl -sf -o /dev/null http://127.0.0.1:$cm/ready || { echo "connector not ready"; tail "$d/connector.log"; exit 1; }
  local ids=() port
  for port in $P_NGINX $P_HOLD; do
    ids+=("$(EDGE_API_TOKEN=$apitok "$E" service create --api http://127.0.0.1:$api --json "{\"type\":\"http\",\"name\":\"s$port\",\"http_port\":$port,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$tid\"}}}" \
      | python3 -c "import json,sys;print(json.load(sys.stdin)['service_id'])")")
  done
  printf '{ "name": "bench", "main": "index.js",\n  "vpc_services": [ { "binding": "WEB", "service_id": "%s" }, { "binding": "HOLD", "service_id": "%s" } ] }\n' "${ids[0]}" "${ids[1]}" > "$d/wrangler.jsonc"
  echo 'export default {}' > "$d/index.js"
  EDGE_API_TOKEN=$apitok "$E" deploy --config "$d/wrangler.jsonc" --api http://127.0.0.1:$api > "$d/deploy.txt"
  TOK[$tag]=$(sed -n 's/^gateway token (shown once): //p' "$d/deploy.txt"); GWP[$tag]=$gw
  (umask 077 && printf 'Proxy-Authorization: Bearer %s\n' "${TOK[$tag]}" > "$d/auth.hdr") # curl -H @file: not on a command line
  local ok=0 h=(-H "Host: web.internal" -H @"$d/auth.hdr" -H "cf-vpc-binding: WEB")
  for _ in $(seq 50); do curl -sf -o /dev/null --max-time 2 "${h[@]}" "http://127.0.0.1:$gw/1k.bin" && { ok=1; break; }; sleep 0.2; done
  [ $ok = 1 ] || { echo "tunnel path '$tag' does not work:"; curl -s -i "${h[@]}" "http://127.0.0.1:$gw/1k.bin" | head -20; exit 1; }
  echo "   edge pid ${EPID[$tag]}, connector pid ${CPID[$tag]}"
}
start_pair ours 0 "${EDGE_JAVA_OPTS:-}" "${CONNECTOR_JAVA_OPTS:-}" "${EDGE_ARGS:-}" "${CONNECTOR_ARGS:-}"
OURS_PATHS="ours"
if [ -n "${B_ROOT:-}${B_EDGE_JAVA_OPTS:-}${B_CONNECTOR_JAVA_OPTS:-}${B_EDGE_ARGS:-}${B_CONNECTOR_ARGS:-}" ]; then
  start_pair ours-b 200 "${B_EDGE_JAVA_OPTS:-}" "${B_CONNECTOR_JAVA_OPTS:-}" "${B_EDGE_ARGS:-}" "${B_CONNECTOR_ARGS:-}"
  OURS_PATHS="ours ours-b"
fi
EDGE_PID=${EPID[ours]} CONN_PID=${CPID[ours]} GW_TOKEN=${TOK[ours]}

if [ "$SETUP_ONLY" != 0 ]; then
  { echo "T=$T EDGE_PID=$EDGE_PID CONN_PID=$CONN_PID GW=127.0.0.1:$P_GW GW_TOKEN=$GW_TOKEN"
    echo "NGINX=127.0.0.1:$P_NGINX SSHFWD=127.0.0.1:$P_SSHFWD BARE=127.0.0.1:$P_BARE"; } | (rm -f /tmp/vpc-bench.env && umask 077 && tee /tmp/vpc-bench.env)
  echo "== setup only: everything stays up for $SETUP_ONLY s (Ctrl-C to stop)"
  sleep "$SETUP_ONLY" & PIDS+=($!); wait $!; exit 0
fi
TCK=$(getconf CLK_TCK)
# cpu PID...: "user sys" clock ticks summed over the processes (whole process: all threads)
cpu() { local p; for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{u+=$14; s+=$15} END{print u+0, s+0}'; }
# descendants PID: the process's children, grandchildren... (sshd's per-connection processes)
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
RES="$T/results.tsv"
: > "$RES"
# measure PATH SIZE CONNS RUN [record]: one wrk run; appends a line to $RES
measure() {
  local path=$1 size=$2 conns=$3 run=$4 url threads=2 out
  [ "$conns" -lt 2 ] && threads=1
  local hdr=() wtok=""
  case $path in
    direct) url=http://127.0.0.1:$P_NGINX/$size.bin ;;
    ssh) url=http://127.0.0.1:$P_SSHFWD/$size.bin ;;
    bare) url=http://127.0.0.1:$P_BARE/$size.bin ;;
  esac
  # the path's two relays (A, B): edge and connector, or ssh and sshd's processes for the forward; none for direct
  local a=() b=() ngx; ngx=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
  case $path in
    ours*) a=(${EPID[$path]}); b=(${CPID[$path]})
      url=http://127.0.0.1:${GWP[$path]}/$size.bin
      hdr=(-H "Host: web.internal" -H "cf-vpc-binding: WEB"); wtok=${TOK[$path]} ;; # the token: WRK_GATEWAY_TOKEN
    ssh) a=($SSH_PID); b=($(descendants "$SSHD_PID")) ;;
    bare) a=($BARE_PID); b=($BARE2_PID) ;;
  esac
  local a0 b0 n0 a1 b1 n1
  a0=$(cpu "${a[@]}"); b0=$(cpu "${b[@]}"); n0=$(cpu $ngx)
  out=$( { TIMEFORMAT='WRKCPU %U %S'; time WRK_GATEWAY_TOKEN=$wtok wrk -t$threads -c"$conns" -d"${DURATION}s" --timeout 10s -s "$ROOT/scripts/wrk/report.lua" "${hdr[@]}" "$url" ; } 2>&1 | grep -E '^WRK(CPU)? ' || true)
  a1=$(cpu "${a[@]}"); b1=$(cpu "${b[@]}"); n1=$(cpu $ngx)
  if ! echo "$out" | grep -q '^WRK '; then echo "   wrk failed for $path $size x $conns" >&2; return 0; fi
  [ "${5:-1}" = 1 ] || return 0
  local kv; kv=$(echo "$out" | grep '^WRK ' | tr ' ' '\n' | grep = | tr '\n' ' ')
  local wc; wc=$(echo "$out" | awk '/^WRKCPU/{printf "wrk_user=%s wrk_sys=%s", $2, $3}')
  echo "$path $size $conns $run $kv $wc $(echo $a0 $a1 $b0 $b1 $n0 $n1 | awk -v t="$TCK" '{printf "a_user=%.2f a_sys=%.2f b_user=%.2f b_sys=%.2f nginx_cpu=%.2f", ($3-$1)/t, ($4-$2)/t, ($7-$5)/t, ($8-$6)/t, ($11+$12-$9-$10)/t}')" >> "$RES"
  echo "   $path $size x $conns run $run: $(echo "$out" | grep '^WRK ' | awk '{for(i=2;i<=NF;i++){split($i,a,"="); v[a[1]]=a[2]} printf "%d req, %.0f req/s, p99 %.1f ms, errors %d/%d/%d/%d", v["requests"], v["requests"]/(v["duration_us"]/1e6), v["p99"]/1000, v["err_connect"], v["err_read"], v["err_status"], v["err_timeout"]}')"
}

# The idle test runs first, on fresh JVMs: RSS then says what 10,000 held streams cost, not how far the heap grew
# during the throughput runs (that is the peak RSS line).
IDLE_LINE="idle test skipped"
run_idle() {
  echo "== idle test: $IDLE requests held open through the tunnel"
  python3 "$ROOT/scripts/bench/idle.py" origin $P_HOLD "$T/held" > "$T/hold.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 50); do [ -s "$T/held" ] && break; sleep 0.1; done
  local e_before c_before held t0 e_rss c_rss
  e_before=$(awk '/VmRSS/{print $2}' /proc/$EDGE_PID/status); c_before=$(awk '/VmRSS/{print $2}' /proc/$CONN_PID/status)
  IDLE_GATEWAY_TOKEN=$GW_TOKEN python3 "$ROOT/scripts/bench/idle.py" clients 127.0.0.1:$P_GW "$IDLE" 120 "Host: hold.internal" \
      "cf-vpc-binding: HOLD" > "$T/idle-clients.log" 2>&1 & CL_PID=$!; PIDS+=($CL_PID)
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
  for _ in $(seq 60); do [ "$(cat "$T/held" 2>/dev/null || echo 0)" = 0 ] && break; sleep 0.5; done
  cat "$T/idle-clients.log"
  IDLE_LINE=$(printf 'idle: %d of %d requests held at the origin after %ds; RSS edge %.0f MiB (before %.0f), connector %.0f MiB (before %.0f), sum %.0f MiB' \
     "$held" "$IDLE" $(( $(date +%s) - t0 )) "$(echo "$e_rss/1024" | bc -l)" "$(echo "$e_before/1024" | bc -l)" \
     "$(echo "$c_rss/1024" | bc -l)" "$(echo "$c_before/1024" | bc -l)" "$(echo "($e_rss+$c_rss)/1024" | bc -l)")
  echo "$IDLE_LINE"
}
[ $DO_IDLE = 1 ] && run_idle
if [ $IDLE_ONLY = 1 ]; then echo "$IDLE_LINE"; exit 0; fi

echo "== warm-up (JIT, ${BENCH_WARMUP:-20}s)"
D0=$DURATION
for path in $OURS_PATHS; do DURATION=${BENCH_WARMUP:-20}; measure $path 1k 50 0 0; DURATION=$(( (${BENCH_WARMUP:-20} + 1) / 2 )); measure $path 1m 50 0 0; done
measure ssh 1k 50 0 0; DURATION=$(( (${BENCH_WARMUP:-20} + 1) / 2 )); measure bare 1k 50 0 0; DURATION=$D0
SIZES="1k 1m"; CONNS="1 50 500"
[ $QUICK = 1 ] && CONNS="50"
echo "== measuring (${DURATION}s per run, $RUNS runs for the target cells)"
for size in $SIZES; do
  for conns in $CONNS; do
    n=1
    if [ "$size" = 1m ] || [ "$conns" = 50 ]; then n=$RUNS; fi
    for run in $(seq "$n"); do
      paths="direct ssh $OURS_PATHS"
      [ "$size $conns" = "1k 50" ] && paths="$paths bare"
      for path in $paths; do measure $path $size $conns $run; done
    done
  done
done
EDGE_HWM=$(awk '/VmHWM/{print $2}' /proc/$EDGE_PID/status); CONN_HWM=$(awk '/VmHWM/{print $2}' /proc/$CONN_PID/status)

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
# a ratio to a path that completed nothing (ssh at 1 MiB x 500 can, on a busy host): "-" rather than a crash
def q(a, b, w): return f"{a / b:{w}.2f}" if b else f"{'-':>{w}}"
agg = {}
for k, rows in cells.items():
    agg[k] = dict(
        rps=med(rows, lambda r: r["requests"] / (r["duration_us"] / 1e6)),
        p50=med(rows, lambda r: r["p50"] / 1000), p99=med(rows, lambda r: r["p99"] / 1000),
        mbs=med(rows, lambda r: r["bytes"] / (r["duration_us"] / 1e6) / 1048576),
        err=sum(r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"] for r in rows),
        n=len(rows))
    # CPU seconds per 10k requests over all runs of the cell: relays A and B (user, sys), wrk, nginx
    per10k = lambda key: sum(r.get(key, 0) for r in rows) / max(1, sum(r["requests"] for r in rows)) * 10000
    for key in ("a_user", "a_sys", "b_user", "b_sys", "wrk_user", "wrk_sys", "nginx_cpu"):
        agg[k][key] = per10k(key)
    agg[k]["ecpu"] = agg[k]["a_user"] + agg[k]["a_sys"]
    agg[k]["ccpu"] = agg[k]["b_user"] + agg[k]["b_sys"]
    agg[k]["load"] = agg[k]["rps"] * sum(agg[k][x] for x in ("a_user", "a_sys", "b_user", "b_sys", "wrk_user", "wrk_sys", "nginx_cpu")) / 10000
print(f"{'size':4} {'conns':>5} {'path':6} {'runs':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'MB/s':>8} {'errors':>6} {'A cpu s/10k':>11} {'B cpu s/10k':>11}")
for size in ("1k", "1m"):
    for conns in (1, 50, 500):
        for path in ("direct", "ssh", "ours", "ours-b", "bare"):
            a = agg.get((size, conns, path))
            if not a: continue
            cpu = f"{a['ecpu']:11.2f} {a['ccpu']:11.2f}" if path != "direct" else ""
            print(f"{size:4} {conns:5} {path:6} {a['n']:4} {a['rps']:9.0f} {a['p50']:8.2f} {a['p99']:8.2f} {a['mbs']:8.1f} {a['err']:6.0f} {cpu}")
print("(A, B: the two relays' CPU, user + sys, whole process: edge and connector for ours, ssh and sshd for ssh, the")
print(" two BareRelay.java processes for bare: a TCP relay pair on Netty with no TLS and no HTTP, the floor of a Java relay)")
print()
print(f"{'size':4} {'conns':>5} {'req/s ours/ssh':>14} {'req/s ours/direct':>17} {'p99 ours/ssh':>12} {'MB/s ours/ssh':>13}")
for size in ("1k", "1m"):
    for conns in (1, 50, 500):
        o, s, d = (agg.get((size, conns, p)) for p in ("ours", "ssh", "direct"))
        if not (o and s and d): continue
        print(f"{size:4} {conns:5} {q(o['rps'], s['rps'], 14)} {q(o['rps'], d['rps'], 17)} {q(o['p99'], s['p99'], 12)} {q(o['mbs'], s['mbs'], 13)}")
if any(k[2] == "ours-b" for k in agg):
    print()
    print(f"{'size':4} {'conns':>5} {'req/s b/a':>10} {'p99 b/a':>8} {'cpu/req b/a':>12}   (ours-b = B_* options, ours = defaults)")
    for size in ("1k", "1m"):
        for conns in (1, 50, 500):
            a, b = agg.get((size, conns, "ours")), agg.get((size, conns, "ours-b"))
            if a and b:
                print(f"{size:4} {conns:5} {q(b['rps'], a['rps'], 10)} {q(b['p99'], a['p99'], 8)} {q(b['ecpu'] + b['ccpu'], a['ecpu'] + a['ccpu'], 12)}")
print()
print(f"peak RSS during the throughput runs: edge {ehwm/1024:.0f} MiB, connector {chwm/1024:.0f} MiB")
print(idle)
print()
def verdict(name, ok, detail): print(f"target {name}: {'MET' if ok else 'MISSED'} ({detail})")
o, s = agg.get(("1k", 50, "ours")), agg.get(("1k", 50, "ssh"))
if o and s:
    verdict("req/s 1k x 50 >= 1.2 x ssh", o["rps"] >= 1.2 * s["rps"], f"{q(o['rps'], s['rps'], 0)} x")
    verdict("p99 1k x 50 <= 1.5 x ssh", s["rps"] > 0 and o["p99"] <= 1.5 * s["p99"], f"{q(o['p99'], s['p99'], 0)} x")
for conns in (1, 50, 500):
    o, s = agg.get(("1m", conns, "ours")), agg.get(("1m", conns, "ssh"))
    if o and s:
        verdict(f"MB/s 1m x {conns} >= 1.0 x ssh", o["mbs"] >= s["mbs"], f"{q(o['mbs'], s['mbs'], 0)} x")
o, s = agg.get(("1k", 50, "ours")), agg.get(("1k", 50, "ssh"))
if o and s:
    # Where the CPU of one 1 KiB request goes, and what 1.2 x ssh's req/s would leave for edge + connector on the CPU
    # that the ours runs had (wrk and nginx share the machine's cores with the relays)
    print()
    print("CPU s per 10k requests at 1k x 50 (all runs):  relays user  relays sys  wrk   nginx  total  cores busy")
    bare = agg.get(("1k", 50, "bare"))
    for name, a in (("ssh (ssh + sshd)", s), ("ours (edge + connector)", o)) + ((("bare (two Netty TCP relays)", bare),) if bare else ()):
        ru, rs = a["a_user"] + a["b_user"], a["a_sys"] + a["b_sys"]
        w = a["wrk_user"] + a["wrk_sys"]
        print(f"  {name:28} {ru:12.3f} {rs:11.3f} {w:5.3f} {a['nginx_cpu']:6.3f} {ru + rs + w + a['nginx_cpu']:6.3f} {a['load']:6.2f}")
    rest = o["wrk_user"] + o["wrk_sys"] + o["nginx_cpu"]
    budget = o["load"] * 10000 / (1.2 * s["rps"]) - rest if s["rps"] else float("nan")
    print(f"  1.2 x ssh's req/s on the {o['load']:.2f} cores the ours runs used leaves edge + connector {budget:.3f} s/10k"
          f" (user + sys); they used {o['ecpu'] + o['ccpu']:.3f}, of which sys {o['a_sys'] + o['b_sys']:.3f}")
    if bare:
        print(f"  bare relay pair (no TLS, no HTTP): {q(bare['rps'], s['rps'], 0)} x ssh's req/s, {bare['ecpu'] + bare['ccpu']:.3f} s/10k;"
              f" ours at {q(o['rps'], bare['rps'], 0)} x its req/s")
bad = sum(a["err"] for a in agg.values())
print(f"wrk errors in all runs: {bad:.0f}")
EOF
