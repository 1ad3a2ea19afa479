#!/usr/bin/env bash
# Packaging: builds the bundles (scripts/package.sh), runs the edge bundle in the root namespace on a veth
# address, unpacks the connector bundle and runs bin/connector in a network namespace whose PATH has no java:
#   1. --config connector.yaml with token-file   2. TUNNEL_TOKEN and flags only
# and each time a fetch through the edge gateway reaches a python origin on the namespace's loopback, `ps` shows
# no secret, the logs show no secret, SIGTERM drains and exits 0. Then `systemd-analyze verify` on the unit.
# Needs root (ip netns), iproute2, curl, python3. Prints the start-up time to the first registered link.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

say() { echo "[40-package] $*"; }
fail() { echo "[40-package] FAIL: $*" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then say "SKIP: needs root for network namespaces"; exit 0; fi
for t in ip curl python3; do command -v $t >/dev/null || fail "$t is required"; done

# ---- bundles: rebuild the jars only when a source is newer than them (scripts/test.sh has just built them)
build=--no-build
for j in edge/target/edge.jar connector/target/connector.jar; do
  if [ ! -f "$j" ] || [ -n "$(find proto/src core/src/main edge/src/main connector/src/main certs pom.xml */pom.xml -newer "$j" -type f -print -quit 2>/dev/null)" ]; then
    build=
  fi
done
t0=$(date +%s)
scripts/package.sh $build
say "package.sh took $(( $(date +%s) - t0 )) s"
VERSION=$(java -jar connector/target/connector.jar --version | awk '{print $2; exit}')
CTAR=dist/connector-$VERSION-linux-x64.tar.gz
ETAR=dist/edge-$VERSION-linux-x64.tar.gz
[ -f "$CTAR" ] && [ -f "$ETAR" ] || fail "package.sh did not leave $CTAR and $ETAR"
say "sizes: $(du -h "$CTAR" | cut -f1) $CTAR, $(du -h "$ETAR" | cut -f1) $ETAR"

# ---- sandbox: unique names, ports in 29000-29999, addresses in 10.251.N.0/30
W=$(mktemp -d /tmp/vpcpkg.XXXXXX)
NS=vpcpkg-$$
VA=vpk$$a; VB=vpk$$b
pids=()
cleanup() {
  local p alive
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip link del "$VA" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "[40-package] kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

for _ in $(seq 20); do
  N=$(( RANDOM % 200 + 20 ))
  grep -q "10\.251\.$N\." <<<"$(ip -4 addr)" || break
done
EIP=10.251.$N.1; CIP=10.251.$N.2
BASE=$(( 29000 + (RANDOM % 90) * 10 ))
TUN=$((BASE + 1)); API=$((BASE + 2)); GW=$((BASE + 3)); EMET=$((BASE + 4)); ORIGIN=$((BASE + 5)); CMET=$((BASE + 6)); DEAD=$((BASE + 7))

ip netns add "$NS"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VB" netns "$NS"
ip addr add "$EIP/30" dev "$VA"; ip link set "$VA" up
ip netns exec "$NS" ip addr add "$CIP/30" dev "$VB"
ip netns exec "$NS" ip link set "$VB" up
ip netns exec "$NS" ip link set lo up

# ---- edge from its bundle, tunnel listener on the veth address only
mkdir -p "$W/edge" "$W/conn"
tar -C "$W/edge" -xzf "$ETAR"
EDGE="$W/edge/edge-$VERSION-linux-x64/bin/edge"
# the JVM's own warnings (unified logging; here the parallel collector's about a young generation as large as the
# initial heap) go to stderr, never into --json output
out=$(EDGE_JAVA_OPTS="-XX:+UseParallelGC -Xms64m -Xmn64m" "$EDGE" --version 2> "$W/edge-warn.err") || fail "bin/edge --version with a JVM warning"
# one line, "edge VERSION (commit …)"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == "edge $VERSION"* ]] && ! grep -qi warning <<<"$out" \
  || fail "bin/edge: a JVM warning reached stdout: $out"
grep -q warning "$W/edge-warn.err" || fail "bin/edge: no JVM warning on stderr with -XX:+UseParallelGC -Xms64m -Xmn64m (the check provokes none)"
# a JVM out of heap exits (3) whatever flags the user gives it, instead of holding its ports and answering nothing
line=$(EDGE_JAVA_OPTS=-Xmx256m sh -x "$EDGE" --version 2>&1 >/dev/null | grep -E '^[+]+ exec ' || true)
[[ $line == *" -XX:+ExitOnOutOfMemoryError -Xmx256m "* ]] || fail "bin/edge: no -XX:+ExitOnOutOfMemoryError with EDGE_JAVA_OPTS set: $line"
"$EDGE" init --data "$W/edata" --san "$EIP" --json > "$W/init.json"
EDGE_API_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$W/init.json")
export EDGE_API_TOKEN EDGE_API_URL=http://127.0.0.1:$API
"$EDGE" serve --data "$W/edata" --tunnel-listen "$EIP:$TUN" --api-listen "127.0.0.1:$API" \
  --gateway-listen "127.0.0.1:$GW" --metrics-listen "127.0.0.1:$EMET" > "$W/edge.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do curl -s -o /dev/null "127.0.0.1:$EMET/metrics" && break; sleep 0.2; done
curl -s -o /dev/null "127.0.0.1:$EMET/metrics" || { cat "$W/edge.log"; fail "edge did not start"; }
# the jlinked runtime has what the JVM and process metrics read (jdk.management): they are on /metrics
curl -s "127.0.0.1:$EMET/metrics" > "$W/edge-metrics.txt"
for m in "vpc_build_info{" "process_resident_memory_bytes " "jvm_memory_used_bytes{" "process_open_fds "; do
  grep -q "^$m" "$W/edge-metrics.txt" || fail "bin/edge's /metrics has no $m"
done

"$EDGE" tunnel create pkgtest > "$W/tunnel.txt"
TID=$(awk '/^id:/{print $2}' "$W/tunnel.txt")
TOKEN=$(awk '/^token:/{print $2}' "$W/tunnel.txt")
SECRET=$(python3 -c "import base64,json,sys;print(json.loads(base64.b64decode(sys.argv[1]))['s'])" "$TOKEN")
[ -n "$TID" ] && [ -n "$SECRET" ] || fail "no tunnel id or token from 'edge tunnel create'"
umask 077; printf '%s\n' "$TOKEN" > "$W/conn/tunnel-token"; umask 022

# ---- origin inside the namespace, on its loopback
mkdir -p "$W/www"; echo "hello from the packaged connector's private origin" > "$W/www/index.html"
(cd "$W/www" && exec ip netns exec "$NS" python3 -m http.server "$ORIGIN" --bind 127.0.0.1) > "$W/origin.log" 2>&1 &
pids+=($!)

"$EDGE" service create --json "{\"type\":\"http\",\"name\":\"web\",\"http_port\":$ORIGIN,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}" > "$W/svc.json"
SID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['service_id'])" "$W/svc.json")
"$EDGE" service create --json "{\"type\":\"http\",\"name\":\"dead\",\"http_port\":$DEAD,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}" > "$W/dead.json"
DEADSID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['service_id'])" "$W/dead.json")
# by host name: the connector resolves it (Netty's resolver on the bundled runtime; /etc/hosts has localhost)
"$EDGE" service create --json "{\"type\":\"http\",\"name\":\"byname\",\"http_port\":$ORIGIN,\"host\":{\"hostname\":\"localhost\",\"resolver_network\":{\"tunnel_id\":\"$TID\"}}}" > "$W/byname.json"
NAMESID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['service_id'])" "$W/byname.json")
printf '{\n // packaging test\n "name": "pkg", "main": "index.js",\n "vpc_services": [ { "binding": "PRIVATE_API", "service_id": "%s" }, { "binding": "DEAD_API", "service_id": "%s" }, { "binding": "BY_NAME", "service_id": "%s" }, ],\n}\n' "$SID" "$DEADSID" "$NAMESID" > "$W/wrangler.jsonc"
echo "export default {}" > "$W/index.js"
"$EDGE" deploy --config "$W/wrangler.jsonc" --json > "$W/deploy.json"
GWTOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['gateway_token'])" "$W/deploy.json")

# ---- the connector bundle, unpacked, with a PATH that has no java
tar -C "$W/conn" -xzf "$CTAR"
CDIR="$W/conn/connector-$VERSION-linux-x64"
for f in bin/connector runtime/bin/java lib/connector.jar certs deploy/connector.service deploy/README.md README.md; do
  [ -e "$CDIR/$f" ] || fail "the connector bundle lacks $f"
done
mkdir -p "$W/nojava"
for tool in readlink dirname; do ln -s "$(command -v $tool)" "$W/nojava/$tool"; done
NOJAVA_PATH=$W/nojava
if PATH=$NOJAVA_PATH command -v java >/dev/null 2>&1; then fail "the test PATH still finds java"; fi
cp "$W/edata/edge-ca.pem" "$W/conn/edge-ca.pem"
IP=$(command -v ip)
in_ns() { ip netns exec "$NS" env -i PATH="$NOJAVA_PATH" HOME="$W/conn" "$@"; }
grep -q "connector $VERSION" <<<"$(in_ns "$CDIR/bin/connector" --version)" || fail "bin/connector --version in the namespace"

fetch() {
  curl -s -m 10 -x "http://127.0.0.1:$GW" -H "Proxy-Authorization: Bearer $GWTOKEN" \
    -H "cf-vpc-binding: ${1:-PRIVATE_API}" "http://api.internal:9999/index.html"
}

# run_case NAME ENV-ASSIGNMENTS... -- ARGS...: starts the connector, waits for /ready, fetches, checks ps and logs.
run_case() {
  local name=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  local log="$W/connector-$name.log" start ready=0 ms pid
  start=$(date +%s%N)
  # A clean environment (no JAVA_HOME, PATH without java) plus $envs, set without putting values on any
  # command line: the test must not show the token in ps either.
  (
    for v in $(compgen -e); do unset "$v" 2>/dev/null || true; done
    export PATH="$NOJAVA_PATH" HOME="$W/conn"
    [ ${#envs[@]} -eq 0 ] || export "${envs[@]}"
    exec "$IP" netns exec "$NS" "$CDIR/bin/connector" run "$@"
  ) > "$log" 2>&1 &
  pid=$!; pids+=($pid)
  for _ in $(seq 600); do
    if [ "$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$CMET/ready" 2>/dev/null)" = 200 ]; then ready=1; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  [ $ready = 1 ] || { cat "$log"; fail "$name: the connector never became ready"; }
  ip netns exec "$NS" curl -s "127.0.0.1:$CMET/metrics" | grep -q "^process_resident_memory_bytes " \
    || fail "$name: the connector's /metrics has no process_resident_memory_bytes"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  # CPU time of the connector up to now (pid is the JVM: ip netns exec, env and bin/connector all exec).
  local cpu; cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%d", ($14 + $15) * 1000 / hz}' "/proc/$pid/stat" 2>/dev/null || echo "?")
  say "$name: start-up to the first registered link (/ready 200): ${ms} ms wall, ${cpu} ms CPU (load: $(cut -d' ' -f1 /proc/loadavg))"
  local body; body=$(fetch || true)
  [ "$body" = "hello from the packaged connector's private origin" ] || { cat "$log"; fail "$name: fetch through the edge got '$body'"; }
  body=$(fetch BY_NAME || true)
  [ "$body" = "hello from the packaged connector's private origin" ] || { cat "$log"; fail "$name: fetch to a service by host name got '$body'"; }
  say "$name: fetch through the edge gateway reached the origin in the namespace (by address and by host name)"
  local code; code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$GW" -H "Proxy-Authorization: Bearer $GWTOKEN" \
    -H "cf-vpc-binding: DEAD_API" "http://api.internal/" || true)
  [ "$code" = 502 ] || fail "$name: a fetch to a closed origin port got $code, not 502"
  local psout; psout=$(ps -eo pid,args ww; ps auxww)
  grep -q "[l]ib/connector.jar" <<<"$psout" || fail "$name: ps does not show the connector at all"
  if grep -qF -e "$TOKEN" -e "$SECRET" <<<"$psout"; then fail "$name: ps output shows the tunnel secret"; fi
  say "$name: ps output holds no secret"
  kill -TERM $pid
  local rc=0; wait $pid || rc=$?
  [ $rc = 0 ] || { cat "$log"; fail "$name: SIGTERM gave exit code $rc, not 0"; }
  grep -q "drained" "$log" || { cat "$log"; fail "$name: no drain line in the log"; }
  if grep -qF -e "$TOKEN" -e "$SECRET" "$log"; then fail "$name: the log shows the tunnel secret"; fi
  if [ "$debug" = 1 ]; then
    grep -q "DEBUG OriginStreamHandler: fetch .* failed: " "$log" || { cat "$log"; fail "$name: no per-fetch error line at debug"; }
    if grep -q " DEBUG security:" "$log"; then fail "$name: the JDK's debug output leaks into --log-level debug"; fi
  fi
  say "$name: SIGTERM drained, exit 0, no secret in the log"
}

cat > "$W/conn/connector.yaml" <<EOF
edges: [$EIP:$TUN]
edge-ca: edge-ca.pem
ha-connections: 2
metrics-listen: 127.0.0.1:$CMET
grace-period: 5s
log-level: debug
token-file: tunnel-token
EOF
debug=1 run_case token-file -- --config "$W/conn/connector.yaml"
debug=0 run_case env TUNNEL_TOKEN="$TOKEN" -- --edge "$EIP:$TUN" --edge-ca "$W/conn/edge-ca.pem" \
  --metrics-listen "127.0.0.1:$CMET" --ha-connections 2 --grace-period 5s --log-format json

# ---- the systemd unit, as shipped, pointed at the unpacked bundle
if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s#/opt/vpc-connector#$CDIR#g" "$CDIR/deploy/connector.service" > "$W/connector.service"
  systemd-analyze verify "$W/connector.service" || fail "systemd-analyze verify deploy/connector.service"
  say "systemd-analyze verify deploy/connector.service: ok"
else
  say "SKIP systemd-analyze verify: systemd-analyze is not installed (scripts/test.sh installs the systemd package)"
fi
say "ok"
