#!/usr/bin/env bash
# Multi-host test of the worker gateway in network namespaces (issue 5, "How we will check it").
#
#   vpcgw-N-edge ── br0 10.250.1.0/24 ──┬── vpcgw-N-conn1 (10.250.1.2 | 10.250.2.2, fd00:250::2)
#   (edge: tunnel 10.250.1.1:7844,      └── vpcgw-N-conn2 (10.250.1.3 | 10.250.2.3, fd00:250::3)
#    api/gateway on its own 127.0.0.1)                        │
#                                          vpcgw-N-lan ── br0 10.250.2.0/24, fd00:250::/64
#                                          origins (HTTP, HTTPS test CA, HTTPS untrusted CA, IPv6), two dnsmasq
#
# The edge host has no route to the LAN and the connector hosts do not forward: only the tunnel reaches it.
# Needs root, iproute2, dnsmasq (dnsmasq-base), openssl, curl, python3, java and the built jars
# (edge/target/edge.jar, connector/target/connector.jar). Every case prints PASS/FAIL; exit 1 on any failure.
# KEEP=1 keeps the work directory (logs) after the run; NETNS_HOLD=SECONDS pauses after the setup (debugging: the
# namespaces, tokens and PIDs are in WORK/env.sh; probe with ip netns exec ... curl), then runs the cases.
# NETNS_EDGE_JAR=FILE runs another edge build (e.g. to show a fix: the pre-fix FetchHandler fails keep-alive and
# pipelining and leaks a tunnel stream).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/scripts/tests/netns
EDGE_JAR=${NETNS_EDGE_JAR:-$ROOT/edge/target/edge.jar}
CONN_JAR=$ROOT/connector/target/connector.jar
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
SUITE_START=$(date +%s)

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP 20-netns-gateway: needs root (network namespaces)"; exit 0
fi
missing=()
for t in ip dnsmasq openssl curl java; do command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || missing+=($t); done
for j in "$EDGE_JAR" "$CONN_JAR"; do [ -f "$j" ] || missing+=("$j"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "FAIL 20-netns-gateway: missing ${missing[*]}"; exit 1
fi
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
ulimit -n 65536 2>/dev/null || true

RID=$$
NS_EDGE=vpcgw-$RID-edge NS_C1=vpcgw-$RID-conn1 NS_C2=vpcgw-$RID-conn2 NS_LAN=vpcgw-$RID-lan
ALL_NS=($NS_EDGE $NS_C1 $NS_C2 $NS_LAN)
WORK=$(mktemp -d /tmp/vpcgw.XXXXXX)
PIDS=()
PASSED=() FAILED=()

log() { echo "[$(date +%H:%M:%S)] $*"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  local i p alive
  for i in $(seq 30); do
    alive=""
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  local nslist; nslist=$(ip netns list 2>/dev/null)
  for ns in "${ALL_NS[@]}"; do
    if grep -qw "$ns" <<< "$nslist"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
    rm -rf "/etc/netns/$ns"
  done
  rm -f "$WORK/upload.bin"
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# Stale namespaces of runs whose shell is gone (never another live run's).
for ns in $(ip netns list | awk '{print $1}' | grep '^vpcgw-' || true); do
  owner=${ns#vpcgw-}; owner=${owner%%-*}
  if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null; rm -rf "/etc/netns/$ns"
  fi
done

# The whole suite is bounded: a watchdog ends it (cleanup runs) after 8 minutes.
( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep 480 & s=$!; wait $s; echo "watchdog: suite took too long" >&2; kill -TERM $RID ) &
PIDS+=($!)

pass() { PASSED+=("$1"); echo "PASS $1"; }
fail() { FAILED+=("$1"); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }
die() { fail "$1" "${@:2}"; exit 1; }

inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------- topology
log "topology (namespaces vpcgw-$RID-*)"
for ns in "${ALL_NS[@]}"; do
  ip netns add "$ns" || die "topology" "ip netns add $ns failed"
  ip -n "$ns" link set lo up
  inns "$ns" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 >/dev/null 2>&1 || true
done
veth() { # NS_A NAME_A NS_B NAME_B: a veth pair created straight between two namespaces (never in the host's)
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || die "topology" "ip link add veth $1/$2 $3/$4 failed"
  ip -n "$1" link set "$2" up; ip -n "$3" link set "$4" up
}
for ns in $NS_EDGE $NS_LAN; do
  ip -n "$ns" link add br0 type bridge && ip -n "$ns" link set br0 up
done
ip -n $NS_EDGE addr add 10.250.1.1/24 dev br0
ip -n $NS_LAN addr add 10.250.2.1/24 dev br0
ip -n $NS_LAN addr add fd00:250::1/64 dev br0 nodad
i=1
for ns in $NS_C1 $NS_C2; do
  i=$((i + 1))
  veth "$ns" up0 $NS_EDGE c$i; ip -n $NS_EDGE link set c$i master br0
  veth "$ns" lan0 $NS_LAN c$i; ip -n $NS_LAN link set c$i master br0
  ip -n "$ns" addr add 10.250.1.$i/24 dev up0
  ip -n "$ns" addr add 10.250.2.$i/24 dev lan0
  ip -n "$ns" addr add fd00:250::$i/64 dev lan0 nodad
  # 10.250.99.0/24 is routed to the LAN host, which does not forward: a blackhole (SYNs vanish, no ICMP).
  ip -n "$ns" route add 10.250.99.0/24 via 10.250.2.1
  mkdir -p /etc/netns/$ns && echo "nameserver 10.250.2.53" > /etc/netns/$ns/resolv.conf
  # `ip netns exec` binds these over /etc/hosts: the connector host's own names (edited in place by a case below)
  printf '127.0.0.1 localhost\n10.250.2.11 hosts.internal\n' > /etc/netns/$ns/hosts
done
# Origin and DNS addresses on the LAN host.
for a in 10 11 12 13 14 17 18 40 53 54; do ip -n $NS_LAN addr add 10.250.2.$a/32 dev br0; done
ip -n $NS_LAN addr add fd00:250::10/128 dev br0 nodad

# ---------------------------------------------------------------- PKI for the origins
log "test PKI"
mkdir -p "$WORK/pki"
(
  cd "$WORK/pki"
  for ca in ca untrusted-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=vpcgw $ca" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  done
  leaf() { # NAME CA SAN
    openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj "/CN=$1" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$3" > $1.ext
    openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 2 -extfile $1.ext 2>/dev/null
  }
  leaf secure ca "DNS:secure.internal,DNS:alias.internal"
  leaf bad untrusted-ca "DNS:bad.internal"
) || die "pki" "openssl failed"
[ -s "$WORK/pki/secure.pem" ] && [ -s "$WORK/pki/bad.pem" ] || die "pki" "certificates missing"

# ---------------------------------------------------------------- origins and DNS in the LAN
log "origins and DNS servers"
ip netns exec $NS_LAN $PY "$HERE/origin.py" --log "$WORK/origins.log" \
  --serve web,10.250.2.10,8080 \
  --serve web-alt,10.250.2.10,8081 \
  --serve dns1-answer,10.250.2.11,80 \
  --serve dns2-answer,10.250.2.12,80 \
  --serve tls-ok,10.250.2.13,8443,"$WORK/pki/secure.pem","$WORK/pki/secure.key" \
  --serve tls-untrusted,10.250.2.14,8443,"$WORK/pki/bad.pem","$WORK/pki/bad.key" \
  --serve mesh-17,10.250.2.17,8080 \
  --serve mesh-18,10.250.2.18,8080 \
  --serve secret,10.250.2.40,8080 \
  --serve v6,fd00:250::10,8080 \
  > "$WORK/origin.out" 2>&1 & PIDS+=($!)
dns() { # NAME ADDR RECORDS...
  local n=$1 a=$2; shift 2
  ip netns exec $NS_LAN "$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces \
    --listen-address="$a" --port=53 --pid-file= --user=root --log-queries --log-facility="$WORK/$n.log" "$@" \
    > "$WORK/$n.out" 2>&1 & PIDS+=($!)
}
dns dns1 10.250.2.53 --address=/app.internal/10.250.2.11 --address=/secure.internal/10.250.2.13 \
  --address=/alias.internal/10.250.2.13 --address=/bad.internal/10.250.2.14 --address=/secret.internal/10.250.2.40 \
  --address=/corp.internal/10.250.2.10 --address=/nx.internal/ --address=/v6.internal/fd00:250::10
dns dns2 10.250.2.54 --address=/app.internal/10.250.2.12 --address=/nx.internal/

# ---------------------------------------------------------------- edge
log "edge init + serve"
mkdir -p "$WORK/edge"
# SerialGC: five JVMs share two cores, and its heap grows only with live data, so RSS tracks what is really held
# (with the default G1 the 1 GiB download still passed, but its lazy heap growth showed +160 MiB of garbage).
# Override with NETNS_EDGE_JAVA_OPTS / NETNS_CONNECTOR_JAVA_OPTS (empty = JVM defaults).
EDGE_JOPTS=${NETNS_EDGE_JAVA_OPTS-"-XX:+UseSerialGC -Xss512k"}
CONN_JOPTS=${NETNS_CONNECTOR_JAVA_OPTS-"-XX:+UseSerialGC -Xss512k"}
inns $NS_EDGE java -jar "$EDGE_JAR" init --data "$WORK/edge/d" --san 10.250.1.1 --json > "$WORK/init.json" 2> "$WORK/init.err" \
  || die "edge init" "$(cat "$WORK/init.err")"
jget() { $PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$@"; }
API_TOKEN=$(jget "$WORK/init.json" api_token)
ACCOUNT=$(jget "$WORK/init.json" account_id)
EDGE_CA=$(jget "$WORK/init.json" edge_ca)
API=http://127.0.0.1:18080
GWADDR=127.0.0.1:18787
ip netns exec $NS_EDGE java $EDGE_JOPTS -jar "$EDGE_JAR" serve --data "$WORK/edge/d" --tunnel-listen 10.250.1.1:7844 \
  --api-listen 127.0.0.1:18080 --gateway-listen $GWADDR --metrics-listen 127.0.0.1:19090 \
  --connect-timeout 2s --tls-timeout 3s --grace-period 1s > "$WORK/edge.log" 2>&1 & EDGE_PID=$!; PIDS+=($EDGE_PID)
disown $EDGE_PID

wait_ready() { # NS URL SECONDS
  local t=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt $t ]; do
    inns "$1" curl -sf -o /dev/null -m 2 "$2" && return 0
    sleep 0.2
  done
  return 1
}
wait_ready $NS_EDGE http://127.0.0.1:19090/ready 60 || die "edge serve" "not ready in 60 s" "$(tail -20 "$WORK/edge.log")"

api() { # METHOD PATH [JSON] -> result JSON on stdout
  local out
  out=$(inns $NS_EDGE curl -sS -m 20 -X "$1" -H "Authorization: Bearer $API_TOKEN" -H 'content-type: application/json' \
    ${3:+--data "$3"} "$API/client/v4/accounts/$ACCOUNT$2") || return 1
  $PY -c 'import json,sys
d=json.loads(sys.argv[1])
if not d.get("success"): sys.stderr.write("api: %s\n" % sys.argv[1]); sys.exit(1)
print(json.dumps(d["result"]))' "$out"
}
rget() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

log "tunnels (edge tunnel create), connectors"
export EDGE_API_TOKEN=$API_TOKEN
jp=()
for t in t1 t2 t3 tf; do
  ip netns exec $NS_EDGE java -jar "$EDGE_JAR" tunnel create --api $API --json vpcgw-$t > "$WORK/tunnel-$t.json" 2> "$WORK/tunnel-$t.err" &
  jp+=($!)
done
wait "${jp[@]}"
for t in t1 t2 t3 tf; do
  [ -s "$WORK/tunnel-$t.json" ] || die "edge tunnel create" "$(cat "$WORK/tunnel-$t.err")"
  jget "$WORK/tunnel-$t.json" token > "$WORK/$t.token"; chmod 600 "$WORK/$t.token"
done
T1=$(jget "$WORK/tunnel-t1.json" id) T2=$(jget "$WORK/tunnel-t2.json" id)
T3=$(jget "$WORK/tunnel-t3.json" id) TF=$(jget "$WORK/tunnel-tf.json" id)

connector() { # NAME NS TOKEN METRICS_PORT EXTRA...
  local name=$1 ns=$2 tok=$3 mport=$4; shift 4
  ip netns exec "$ns" java $CONN_JOPTS -jar "$CONN_JAR" run --token-file "$WORK/$tok.token" --edge 10.250.1.1:7844 \
    --edge-ca "$EDGE_CA" --origin-ca "$WORK/pki/ca.pem" --metrics-listen 127.0.0.1:$mport \
    --grace-period 1s "$@" > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$name=$!"
  disown $!  # no job notice when the failover case kills it
}
# conn1 serves tunnel t1 (and denies 10.250.2.40, the "secret" origin); conn2 serves t2. Failover tunnel tf has
# one connector on each host. t3 never gets a connector.
connector c1 $NS_C1 t1 20241 --deny 10.250.2.40/32
connector c2 $NS_C2 t2 20241 --deny 10.250.2.40/32
connector f1 $NS_C1 tf 20242
connector f2 $NS_C2 tf 20242

log "services, routes, worker"
svc() { # NAME JSON
  local r; r=$(api POST /connectivity/directory/services "$2") || die "service $1" "create refused: $2"
  eval "SVC_$1=$(rget "$r" service_id)"
}
svc WEB "{\"type\":\"http\",\"name\":\"web\",\"http_port\":8080,\"host\":{\"ipv4\":\"10.250.2.10\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
svc TLS "{\"type\":\"http\",\"name\":\"tls\",\"https_port\":8443,\"host\":{\"ipv4\":\"10.250.2.13\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
svc BADTLS "{\"type\":\"http\",\"name\":\"badtls\",\"https_port\":8443,\"host\":{\"ipv4\":\"10.250.2.14\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
svc DNS2 "{\"type\":\"http\",\"name\":\"app-dns2\",\"host\":{\"hostname\":\"app.internal\",\"resolver_network\":{\"tunnel_id\":\"$T1\",\"resolver_ips\":[\"10.250.2.54\"]}}}"
svc DNSSYS "{\"type\":\"http\",\"name\":\"app-sys\",\"host\":{\"hostname\":\"app.internal\",\"resolver_network\":{\"tunnel_id\":\"$T1\"}}}"
svc HOSTS "{\"type\":\"http\",\"name\":\"hosts\",\"host\":{\"hostname\":\"hosts.internal\",\"resolver_network\":{\"tunnel_id\":\"$T1\"}}}"
svc V6 "{\"type\":\"http\",\"name\":\"v6\",\"http_port\":8080,\"host\":{\"ipv6\":\"fd00:250::10\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
svc V6NAME "{\"type\":\"http\",\"name\":\"v6name\",\"http_port\":8080,\"host\":{\"hostname\":\"v6.internal\",\"resolver_network\":{\"tunnel_id\":\"$T1\"}}}"
svc DUAL "{\"type\":\"http\",\"name\":\"dual\",\"http_port\":8080,\"host\":{\"ipv4\":\"10.250.99.1\",\"ipv6\":\"fd00:250::10\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
MOVE_JSON() { echo "{\"type\":\"http\",\"name\":\"move\",\"http_port\":$1,\"host\":{\"ipv4\":\"10.250.2.10\",\"network\":{\"tunnel_id\":\"$T1\"}}}"; }
svc MOVE "$(MOVE_JSON 8080)"
svc NX "{\"type\":\"http\",\"name\":\"nx\",\"host\":{\"hostname\":\"nx.internal\",\"resolver_network\":{\"tunnel_id\":\"$T1\",\"resolver_ips\":[\"10.250.2.53\"]}}}"
svc REFUSED "{\"type\":\"http\",\"name\":\"refused\",\"http_port\":9,\"host\":{\"ipv4\":\"10.250.2.10\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
svc BLACKHOLE "{\"type\":\"http\",\"name\":\"blackhole\",\"http_port\":80,\"host\":{\"ipv4\":\"10.250.99.1\",\"network\":{\"tunnel_id\":\"$T1\"}}}"
svc DENIED "{\"type\":\"http\",\"name\":\"denied\",\"http_port\":8080,\"host\":{\"hostname\":\"secret.internal\",\"resolver_network\":{\"tunnel_id\":\"$T1\"}}}"
svc NOCONN "{\"type\":\"http\",\"name\":\"noconn\",\"http_port\":8080,\"host\":{\"ipv4\":\"10.250.2.10\",\"network\":{\"tunnel_id\":\"$T3\"}}}"
svc FAILOVER "{\"type\":\"http\",\"name\":\"failover\",\"http_port\":8080,\"host\":{\"ipv4\":\"10.250.2.10\",\"network\":{\"tunnel_id\":\"$TF\"}}}"
# cf1:network: overlapping CIDR routes (the /24 first, so only longest-prefix, not order, can pick the /28 and /32).
route() { # CIDR TUNNEL [VAR for the route id]
  local r; r=$(api POST /teamnet/routes "{\"network\":\"$1\",\"tunnel_id\":\"$2\"}") || die "route $1" "refused"
  [ -n "${3:-}" ] && eval "$3=$(rget "$r" id)"
}
route 10.250.2.0/24 "$T1"
route 10.250.2.16/28 "$T2"
route 10.250.2.18/32 "$T1" ROUTE32
route fd00:250::/64 "$T2"
inns $NS_EDGE java -jar "$EDGE_JAR" route hostname add '*.corp.internal' "$T2" --api $API > "$WORK/hr1.out" 2>&1 \
  || die "edge route hostname add" "$(cat "$WORK/hr1.out")"
api POST /zerotrust/routes/hostname "{\"hostname\":\"db.corp.internal\",\"tunnel_id\":\"$T1\"}" >/dev/null || die "hostname route" "refused"

cat > "$WORK/wrangler.jsonc" <<EOF
{
  // the netns suite's worker: one binding per case family
  "name": "netns-suite",
  "vpc_services": [
    { "binding": "WEB", "service_id": "$SVC_WEB", "remote": true },
    { "binding": "TLS", "service_id": "$SVC_TLS", "remote": true },
    { "binding": "BADTLS", "service_id": "$SVC_BADTLS", "remote": true },
    { "binding": "DNS2", "service_id": "$SVC_DNS2", "remote": true },
    { "binding": "DNSSYS", "service_id": "$SVC_DNSSYS", "remote": true },
    { "binding": "HOSTS", "service_id": "$SVC_HOSTS", "remote": true },
    { "binding": "V6", "service_id": "$SVC_V6", "remote": true },
    { "binding": "V6NAME", "service_id": "$SVC_V6NAME", "remote": true },
    { "binding": "DUAL", "service_id": "$SVC_DUAL", "remote": true },
    { "binding": "MOVE", "service_id": "$SVC_MOVE", "remote": true },
    { "binding": "NX", "service_id": "$SVC_NX", "remote": true },
    { "binding": "REFUSED", "service_id": "$SVC_REFUSED", "remote": true },
    { "binding": "BLACKHOLE", "service_id": "$SVC_BLACKHOLE", "remote": true },
    { "binding": "DENIED", "service_id": "$SVC_DENIED", "remote": true },
    { "binding": "NOCONN", "service_id": "$SVC_NOCONN", "remote": true },
    { "binding": "FAILOVER", "service_id": "$SVC_FAILOVER", "remote": true },
  ],
  "vpc_networks": [
    { "binding": "NET_T1", "tunnel_id": "$T1", "remote": true },
    { "binding": "NET_T3", "tunnel_id": "$T3", "remote": true },
    { "binding": "MESH", "network_id": "cf1:network", "remote": true },
  ],
}
EOF
inns $NS_EDGE java -jar "$EDGE_JAR" deploy --config "$WORK/wrangler.jsonc" --api $API --json > "$WORK/deploy.json" 2> "$WORK/deploy.err" \
  || die "edge deploy" "$(cat "$WORK/deploy.err")"
GW=$(jget "$WORK/deploy.json" gateway_token)

for c in c1:$NS_C1:20241 c2:$NS_C2:20241 f1:$NS_C1:20242 f2:$NS_C2:20242; do
  IFS=: read -r name ns port <<< "$c"
  wait_ready "$ns" http://127.0.0.1:$port/ready 60 || die "connector $name" "not ready in 60 s" "$(tail -20 "$WORK/$name.log")"
done
grep -q "origins ready" "$WORK/origin.out" || { sleep 1; grep -q "origins ready" "$WORK/origin.out"; } \
  || die "origins" "$(cat "$WORK/origin.out")"
log "setup done in $(( $(date +%s) - SUITE_START )) s"

# ---------------------------------------------------------------- helpers for one fetch
R=$WORK/r
# fetch BINDING URL [curl args...]: absolute-form through the gateway (what workerd's style=proxy sends)
fetch() {
  local b=$1 url=$2; shift 2
  : > $R.h; : > $R.b
  inns $NS_EDGE curl -sS -g -m 20 -o $R.b -D $R.h -w '%{http_code}' -x http://$GWADDR \
    -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: $b" "$@" "$url" > $R.s 2> $R.e
  echo $? > $R.rc
}
# fetch_of BINDING SCHEME HOST PATH [curl args...]: origin-form with Host + cf-vpc-scheme
fetch_of() {
  local b=$1 scheme=$2 host=$3 path=$4; shift 4
  : > $R.h; : > $R.b
  inns $NS_EDGE curl -sS -g -m 20 -o $R.b -D $R.h -w '%{http_code}' -H "Host: $host" -H "cf-vpc-scheme: $scheme" \
    -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: $b" "$@" "http://$GWADDR$path" > $R.s 2> $R.e || true
}
check() { # CASE ASSERTIONS...
  local name=$1 out; shift
  if out=$($PY "$HERE/check.py" $R.s $R.h $R.b "$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

if [ -n "${NETNS_HOLD:-}" ]; then  # debugging: keep the setup up for NETNS_HOLD seconds (bounded), then run the cases
  declare -p NS_EDGE NS_C1 NS_C2 NS_LAN GW GWADDR API ACCOUNT API_TOKEN WORK EDGE_PID PID_c1 T1 T2 T3 TF > "$WORK/env.sh"
  log "holding ${NETNS_HOLD}s; environment in $WORK/env.sh"
  sleep "$NETNS_HOLD"
fi

# ---------------------------------------------------------------- cases
log "cases"
# The private LAN is out of the edge host's reach (no route, no forwarding): only the tunnel gets there.
if inns $NS_EDGE curl -s -m 3 -o /dev/null http://10.250.2.10:8080/ 2>/dev/null \
   || inns $NS_EDGE curl -s -m 3 -o /dev/null -g 'http://[fd00:250::10]:8080/' 2>/dev/null; then
  fail "isolation: edge host cannot reach the LAN" "curl from the edge namespace reached an origin"
elif ! inns $NS_C1 curl -sf -m 3 -o /dev/null http://10.250.2.10:8080/; then
  fail "isolation: edge host cannot reach the LAN" "the connector host cannot reach the origin either (topology broken)"
else
  pass "isolation: edge host cannot reach the LAN (curl fails there, works from the connector host)"
fi

# VPC Service: configured host and port only; the URL gives Host (and SNI), never the destination.
fetch WEB http://web.internal/hello?x=1
check "service: routes to the configured host:port, Host = URL host" status=200 err=none json.id=web \
  json.local=10.250.2.10:8080 json.host=web.internal json.path=/hello?x=1 json.method=GET json.peer=10.250.2.2
fetch WEB http://web.internal:8081/p
check "service: URL port ignored (8081 in URL, service port 8080 used)" status=200 json.id=web json.local=10.250.2.10:8080 \
  json.host=web.internal
fetch_of WEB http web.internal /origin-form -X POST --data-binary 'hello body'
check "service: origin-form (Host + cf-vpc-scheme) with a POST body" status=200 json.id=web json.method=POST \
  json.host=web.internal json.body_len=10 json.path=/origin-form
inns $NS_EDGE curl -sS -m 20 --http2-prior-knowledge -o $R.b -D $R.h -w '%{http_code}' -H "Host: web.internal" \
  -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: WEB" http://$GWADDR/h2c > $R.s 2>$R.e
check "service: h2c prior knowledge" status=200 json.id=web json.path=/h2c json.host=web.internal
fetch WEB http://web.internal/status/503
check "service: the origin's own error status comes back as it is (no cf-vpc-error)" status=503 err=none json.id=web
fetch WEB http://web.internal/status/204
check "service: a 204 from the origin comes back bodiless" status=204 err=none hdr.x-origin-id=web
fetch WEB 'http://web.internal/a%2Fb/c?x=1&y=%20z' -X PATCH --data-binary 'p'
check "service: method, encoded path and query reach the origin as sent" status=200 json.method=PATCH \
  'json.path=/a%2Fb/c?x=1&y=%20z' json.body_len=1
# (8 rounds: a request read early while the previous exchange still answered used to hang ~40% of the time)
want="200/-/web 200/-/web 403/binding_not_found/- 204/-/web 200/-/web 502/connect_failed/- 200/-/web"
out=$want
for i in $(seq 8); do
  out=$(timeout 30 ip netns exec $NS_EDGE $PY "$HERE/load.py" keepalive --gw $GWADDR --token "$GW" --binding - --timeout 5 --steps \
    "HEAD WEB http://web.internal/ka1" "GET WEB http://web.internal/ka2" "POST NOPE http://web.internal/ka3 1048576" \
    "GET WEB http://web.internal/status/204" "POST WEB http://web.internal/ka5 100000" "GET REFUSED http://web.internal/ka6" \
    "DELETE WEB http://web.internal/ka7" 2>&1)
  [ "$out" = "$want" ] || break
done
if [ "$out" = "$want" ]; then pass "keep-alive x8: HEAD, GET, refused POST with 1 MiB body, 204, POST, error, DELETE on one connection"
else fail "keep-alive x8: HEAD, GET, refused POST with 1 MiB body, 204, POST, error, DELETE on one connection" "round $i got:  $out" "want: $want"; fi
want="201/-/web 204/-/web 202/-/web 403/binding_not_found/- 203/-/web"
out=$(timeout 30 ip netns exec $NS_EDGE $PY "$HERE/load.py" keepalive --pipeline --gw $GWADDR --token "$GW" --binding - \
  --timeout 5 --steps "GET WEB http://web.internal/status/201" "GET WEB http://web.internal/status/204" \
  "POST WEB http://web.internal/status/202 1000" "GET NOPE http://web.internal/p4" "GET WEB http://web.internal/status/203" 2>&1)
if [ "$out" = "$want" ]; then pass "pipelining: 5 requests written at once are answered one by one, in order"
else fail "pipelining: 5 requests written at once are answered one by one, in order" "got:  $out" "want: $want"; fi
fetch WEB http://web.internal/truncate
if [ "$(cat $R.rc)" != 0 ] && [ "$(stat -c %s $R.b)" -lt 100000 ]; then
  pass "service: a response the origin cut off is not delivered as complete (curl: $(tr -d '\n' < $R.e | cut -c1-80))"
else
  fail "service: a response the origin cut off is not delivered as complete" "curl rc=$(cat $R.rc), $(stat -c %s $R.b) bytes, status $(cat $R.s)"
fi
fetch WEB http://web.internal/drop
check "service: origin closes without answering -> stream_reset" status=502 err=stream_reset
t0=$(date +%s%N)
fetch_of NET_T1 https 10.250.2.10:8080 /plain
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# the plain-HTTP origin waits for a request line that the ClientHello never completes: the handshake runs out of time
check "network: https to a plain-HTTP port that never answers the handshake -> 504 tls_failed (edge --tls-timeout 3s; took ${ms} ms)" \
  status=504 err=tls_failed
if [ "$ms" -gt 9000 ]; then fail "tls_failed on a timeout honours --tls-timeout 3s" "took $ms ms"; fi

fetch_of TLS https secure.internal /tls
check "service https: SNI = URL host, cert from --origin-ca verified" status=200 err=none json.id=tls-ok \
  json.sni=secure.internal json.host=secure.internal json.local=10.250.2.13:8443
fetch_of TLS https alias.internal:9999 /tls
check "service https: another URL host becomes SNI and Host, URL port ignored" status=200 json.id=tls-ok \
  json.sni=alias.internal json.host=alias.internal json.local=10.250.2.13:8443
fetch_of TLS https other.internal /tls
check "service https: URL host not in the cert -> tls_failed (verified against the URL host)" status=502 err=tls_failed
# (absolute https through curl -x would be CONNECT; origin-form with cf-vpc-scheme: https is the same fetch)
fetch_of WEB https web.internal /x
check "service: https URL when only http_port is configured -> scheme_not_allowed" status=403 err=scheme_not_allowed
fetch TLS http://secure.internal/x
check "service: http URL when only https_port is configured -> scheme_not_allowed" status=403 err=scheme_not_allowed
fetch_of BADTLS https bad.internal /x
check "service https: origin cert from an untrusted CA -> tls_failed" status=502 err=tls_failed
fetch DNS2 http://app.internal/r
check "service hostname: resolver_ips (DNS #2) answer used, default http port 80" status=200 json.id=dns2-answer \
  json.local=10.250.2.12:80 json.host=app.internal
fetch DNSSYS http://app.internal/r
check "service hostname: no resolver_ips -> connector's system resolver (DNS #1)" status=200 json.id=dns1-answer \
  json.local=10.250.2.11:80
fetch HOSTS http://hosts.internal/h
check "service hostname in the connector host's /etc/hosts (no resolver_ips)" status=200 json.id=dns1-answer \
  json.local=10.250.2.11:80
printf '127.0.0.1 localhost\n10.250.2.12 hosts.internal\n' > /etc/netns/$NS_C1/hosts  # in place: the bind mount follows
sleep 6
fetch HOSTS http://hosts.internal/h
check "/etc/hosts edited on the connector host: the new address is used within 5 s, as cloudflared" status=200 \
  json.id=dns2-answer json.local=10.250.2.12:80
fetch V6 http://v6.internal:1234/six
check "service IPv6: routed to [fd00:250::10]:8080" status=200 json.id=v6 json.local=[fd00:250::10]:8080 \
  json.peer=fd00:250::2 json.host=v6.internal
fetch V6NAME http://v6.internal/six
check "service hostname with only an AAAA record (system resolver) -> IPv6 origin" status=200 json.id=v6 \
  json.local=[fd00:250::10]:8080
head -c $((64 << 20)) /dev/zero | inns $NS_EDGE curl -sS -m 60 -o $R.b -D $R.h -w '%{http_code}' -x http://$GWADDR \
  -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: WEB" -T - http://web.internal/chunked-upload > $R.s 2>$R.e
check "service: chunked upload (no Content-Length), 64 MiB arrive whole" status=200 json.id=web json.body_len=$((64 << 20))
fetch DUAL http://dual.internal/dual
check "service IPv4 (blackholed) + IPv6: the fetch still reaches the IPv6 address" status=200 json.id=v6 \
  json.local=[fd00:250::10]:8080

# SSRF attempts through a service binding: every one must still land on web (10.250.2.10:8080).
CONNECT_B64=$($PY - <<'EOF'
import base64
def s(f, v): b = v.encode(); return bytes([f << 3 | 2, len(b)]) + b
def u(f, v): return bytes([f << 3, v])
# ConnectRequest{addresses:["10.250.2.40"], port: 8080 as varint, server_name}
msg = s(1, "10.250.2.40") + bytes([3 << 3, 0x90, 0x3f]) + s(5, "secret.internal")
print(base64.b64encode(msg).decode())
EOF
)
fetch WEB http://10.250.2.40:8080/ssrf-url
check "ssrf: URL host:port of another origin -> still the service's host" status=200 json.id=web \
  json.local=10.250.2.10:8080 json.host=10.250.2.40
fetch WEB http://web.internal/ssrf-host -H "Host: 10.250.2.40:8080"
check "ssrf: Host header of another origin (absolute URL wins)" status=200 json.id=web json.host=web.internal
fetch WEB http://web.internal/ssrf-headers -H "cf-vpc-host: 10.250.2.40" -H "cf-vpc-port: 8081" \
  -H "cf-vpc-scheme: https" -H "cf-vpc-binding-override: MESH" -H "cf-link-connect: $CONNECT_B64" \
  -H "cf-link-error: x" -H "X-Forwarded-Host: 10.250.2.40"
check "ssrf: cf-vpc-*/cf-link-* headers from the worker are dropped" status=200 json.id=web \
  json.local=10.250.2.10:8080 nohdr=cf-vpc- nohdr=cf-link- nohdr=proxy-authorization
fetch_of WEB http 10.250.2.40:8080 /ssrf-origin-form -H "cf-link-connect: $CONNECT_B64"
check "ssrf: origin-form Host of another origin + forged connect header" status=200 json.id=web \
  json.local=10.250.2.10:8080 nohdr=cf-link-
SMUGGLED=$'GET http://10.250.2.40:8080/ HTTP/1.1\r\nHost: 10.250.2.40\r\n\r\n'
fetch WEB 'http://web.internal/ssrf-body' -X POST --data-binary "$SMUGGLED"
check "ssrf: a request smuggled in the body stays body" status=200 json.id=web json.method=POST json.body_len=${#SMUGGLED}
# (curl would turn URL credentials into an Authorization header: send the target verbatim)
: > $R.h; : > $R.b
inns $NS_EDGE curl -sS -m 10 -o $R.b -D $R.h -w '%{http_code}' --request-target 'http://10.250.2.40:8080@web.internal/ssrf-userinfo' \
  -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: WEB" http://$GWADDR/ > $R.s 2>$R.e
check "ssrf: URL with credentials (user 10.250.2.40:8080) refused: no_route" status=502 err=no_route
if grep -q ' secret ' "$WORK/origins.log"; then
  fail "ssrf: the other origin (secret) never saw a request" "$(grep ' secret ' "$WORK/origins.log" | head -3)"
else
  pass "ssrf: the other origin (secret) never saw a request"
fi

# VPC Network, tunnel_id: the URL picks host and port.
fetch NET_T1 http://10.250.2.10:8081/net
check "network tunnel_id: URL picks host and port (8081)" status=200 json.id=web-alt json.local=10.250.2.10:8081 \
  json.host=10.250.2.10:8081 json.peer=10.250.2.2
fetch NET_T1 'http://[fd00:250::10]:8080/net6'
check "network tunnel_id: IPv6 literal URL" status=200 json.id=v6 json.peer=fd00:250::2
fetch_of NET_T1 https secure.internal:8443 /net-tls
check "network tunnel_id: https hostname resolved by the connector, SNI = URL host" status=200 json.id=tls-ok \
  json.sni=secure.internal
fetch NET_T1 http://10.250.2.40:8080/denied
check "network tunnel_id: connector --deny CIDR -> destination_denied" status=502 err=destination_denied
fetch NET_T1 http://nx.internal/
check "network tunnel_id: NXDOMAIN -> dns_failed" status=502 err=dns_failed

# VPC Network, cf1:network: longest-prefix route picks the tunnel (conn1 = 10.250.2.2, conn2 = 10.250.2.3).
fetch MESH http://10.250.2.10:8080/mesh
check "cf1:network: 10.250.2.10 in /24 only -> t1 (conn1)" status=200 json.id=web json.peer=10.250.2.2
fetch MESH http://10.250.2.17:8080/mesh
check "cf1:network: 10.250.2.17 in /24 and /28 -> /28 wins -> t2 (conn2)" status=200 json.id=mesh-17 json.peer=10.250.2.3
fetch MESH http://10.250.2.18:8080/mesh
check "cf1:network: 10.250.2.18 in /24, /28, /32 -> /32 wins -> t1 (conn1)" status=200 json.id=mesh-18 json.peer=10.250.2.2
fetch MESH 'http://[fd00:250::10]:8080/mesh6'
check "cf1:network: IPv6 route fd00:250::/64 -> t2 (conn2)" status=200 json.id=v6 json.peer=fd00:250::3
fetch MESH http://10.250.77.1/mesh
check "cf1:network: address in no route -> no_route" status=502 err=no_route
fetch MESH http://api.corp.internal:8080/mesh-host
check "cf1:network hostname: *.corp.internal route -> t2 (conn2)" status=200 json.id=web json.peer=10.250.2.3 \
  json.host=api.corp.internal:8080
fetch MESH http://db.corp.internal:8080/mesh-host
check "cf1:network hostname: db.corp.internal beats *.corp.internal -> t1 (conn1)" status=200 json.id=web json.peer=10.250.2.2
fetch MESH http://app.internal/mesh-host
check "cf1:network hostname without a hostname route -> no_route" status=502 err=no_route

# Errors.
fetch NET_T3 http://10.250.2.10:8080/
check "network tunnel_id with no connector -> no_connector" status=502 err=no_connector
fetch NOCONN http://web.internal/
check "service on a tunnel with no connector -> no_connector" status=502 err=no_connector
inns $NS_EDGE curl -sS -m 10 -o $R.b -D $R.h -w '%{http_code}' -x http://$GWADDR -H "cf-vpc-binding: WEB" \
  http://web.internal/ > $R.s 2>$R.e
check "no worker token -> unauthorized" status=401 err=unauthorized
inns $NS_EDGE curl -sS -m 10 -o $R.b -D $R.h -w '%{http_code}' -x http://$GWADDR -H "cf-vpc-binding: WEB" \
  -H "Proxy-Authorization: Bearer gw_not-a-token" http://web.internal/ > $R.s 2>$R.e
check "bad worker token -> unauthorized" status=401 err=unauthorized
fetch NOPE http://web.internal/
check "unknown binding -> binding_not_found" status=403 err=binding_not_found
inns $NS_EDGE curl -sS -m 10 -o $R.b -D $R.h -w '%{http_code}' -x http://$GWADDR \
  -H "Proxy-Authorization: Bearer $GW" http://web.internal/ > $R.s 2>$R.e
check "no cf-vpc-binding header -> binding_not_found" status=403 err=binding_not_found
fetch NX http://nx.internal/
check "service hostname NXDOMAIN -> dns_failed" status=502 err=dns_failed
fetch REFUSED http://web.internal/
check "nothing listening on the port -> connect_failed" status=502 err=connect_failed
t0=$(date +%s%N)
fetch BLACKHOLE http://blackhole.internal/
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "blackholed address -> connect_timeout (edge --connect-timeout 2s; took ${ms} ms)" status=504 err=connect_timeout
if [ "$ms" -gt 8000 ]; then fail "connect_timeout honours --connect-timeout 2s" "took $ms ms"; fi
fetch DENIED http://secret.internal/
check "service hostname resolving into a --deny CIDR -> destination_denied" status=502 err=destination_denied
if grep -q ' secret ' "$WORK/origins.log"; then
  fail "destination_denied: the denied origin never saw a request" "$(grep ' secret ' "$WORK/origins.log" | head -3)"
else
  pass "destination_denied: the denied origin never saw a request"
fi

# Directory changes apply to the next fetch (the gateway reads a snapshot swapped on every write).
fetch MOVE http://move.internal/m
check "directory: service before the update -> port 8080" status=200 json.id=web
if api PUT /connectivity/directory/services/$SVC_MOVE "$(MOVE_JSON 8081)" >/dev/null; then
  fetch MOVE http://move.internal/m
  check "directory: service updated to port 8081 -> the next fetch goes there" status=200 json.id=web-alt
else fail "directory: service updated to port 8081 -> the next fetch goes there" "PUT refused"; fi
if api DELETE /connectivity/directory/services/$SVC_MOVE >/dev/null 2>&1; then
  fetch MOVE http://move.internal/m
  check "directory: service deleted -> binding_not_found" status=403 err=binding_not_found
else
  pass "directory: deleting a service bound by a worker is refused by the API"
fi
if api DELETE /teamnet/routes/$ROUTE32 >/dev/null; then
  fetch MESH http://10.250.2.18:8080/mesh
  check "directory: /32 route deleted -> 10.250.2.18 now follows the /28 -> t2 (conn2)" status=200 json.id=mesh-18 json.peer=10.250.2.3
else fail "directory: /32 route deleted" "DELETE refused"; fi

# h2c at scale: many streams multiplexed on few connections.
if command -v h2load >/dev/null 2>&1; then
  out=$(inns $NS_EDGE timeout 60 h2load -n 2000 -c 4 -m 100 -H "proxy-authorization: Bearer $GW" -H "cf-vpc-binding: WEB" \
        http://$GWADDR/h2load 2>&1)
  if grep -q '2000 succeeded' <<< "$out" && grep -q 'status codes: 2000 2xx' <<< "$out"; then
    pass "h2c: 2000 fetches, 4 connections x 100 concurrent streams, all 2xx ($(echo "$out" | grep -o 'finished in [^,]*'))"
  else
    fail "h2c: 2000 fetches, 4 connections x 100 concurrent streams, all 2xx" "$(echo "$out" | grep -E 'requests:|status codes:|error' | head -4)"
  fi
else
  echo "SKIP h2c at scale: h2load (nghttp2-client) not installed"
fi

# ---------------------------------------------------------------- 1,000 concurrent fetches
log "1000 concurrent fetches"
if out=$(timeout 90 ip netns exec $NS_EDGE $PY "$HERE/load.py" concurrent --gw $GWADDR --token "$GW" --binding WEB \
      --url http://web.internal/concurrent --n 1000 --expect '"id": "web"' --timeout 60 2>&1); then
  pass "1000 concurrent fetches all succeed: $out"
else
  fail "1000 concurrent fetches all succeed" "$out"
fi

# ---------------------------------------------------------------- cancellation and backpressure
log "cancellation, slow worker"
# A worker that goes away cancels the fetch all the way to the origin (the origin's writes start failing).
inns $NS_EDGE curl -s -m 1 -o /dev/null -x http://$GWADDR -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: WEB" \
  'http://web.internal/slow?secs=6&chunks=60&tag=cancel' 2>/dev/null
aborted=""
for i in $(seq 40); do
  if grep -q 'slow aborted /slow?secs=6&chunks=60&tag=cancel' "$WORK/origins.log"; then aborted=yes; break; fi
  sleep 0.1
done
if [ -n "$aborted" ]; then
  pass "cancel: the worker closing its connection aborts the origin's response ($(grep -o 'tag=cancel after [0-9]* chunks' "$WORK/origins.log"))"
else
  fail "cancel: the worker closing its connection aborts the origin's response" "origin still sending 4 s later: $(grep 'tag=cancel' "$WORK/origins.log")"
fi
# The same over h2c: RST_STREAM(CANCEL) on the worker's stream (AbortSignal) reaches the origin; the connection lives on.
if out=$(timeout 30 ip netns exec $NS_EDGE $PY "$HERE/load.py" h2cancel --gw $GWADDR --token "$GW" --binding WEB \
      --url 'http://web.internal/slow?secs=6&chunks=60&tag=h2cancel' --pause 1.5 --timeout 10 2>&1); then
  aborted=""
  for i in $(seq 40); do
    if grep -q 'slow aborted /slow?secs=6&chunks=60&tag=h2cancel' "$WORK/origins.log"; then aborted=yes; break; fi
    sleep 0.1
  done
  if [ -n "$aborted" ]; then
    pass "cancel h2c: RST_STREAM on the worker's stream aborts the origin's response, next stream on the connection works ($out)"
  else
    fail "cancel h2c: RST_STREAM on the worker's stream aborts the origin's response" "origin still sending: $(grep 'tag=h2cancel' "$WORK/origins.log")" "$out"
  fi
else
  fail "cancel h2c: RST_STREAM on the worker's stream aborts the origin's response, next stream on the connection works" "$out"
fi
# A worker that stops reading holds the origin back: nothing piles up in the edge or the connector.
if out=$(timeout 60 ip netns exec $NS_EDGE $PY "$HERE/load.py" slowreader --gw $GWADDR --token "$GW" --binding WEB \
      --url "http://web.internal/big?bytes=$((1 << 30))&tag=slowreader" --pids $EDGE_PID,$PID_c1 --pause 5 \
      --max-growth-mib 100 --timeout 30 2>&1); then
  sleep 0.5
  sent=$(grep -o 'tag=slowreader after [0-9]* bytes' "$WORK/origins.log" | grep -o '[0-9]* bytes' | head -1)
  if [ -n "$sent" ] && [ "${sent% bytes}" -lt $((256 << 20)) ]; then
    pass "backpressure: a paused worker holds the origin back (origin sent only $((${sent% bytes} >> 20)) MiB of 1 GiB; $out)"
  else
    fail "backpressure: a paused worker holds the origin back" "origin: $(grep 'tag=slowreader' "$WORK/origins.log" | tail -2)" "$out"
  fi
else
  fail "backpressure: a paused worker holds the origin back" "$out"
fi

# ---------------------------------------------------------------- 1 GiB each way, RSS flat
rss() { awk '/^VmRSS/ {print $2}' /proc/$1/status 2>/dev/null || echo 0; }
big() { # NAME CURL_ARGS... : runs the transfer, samples edge/conn1 RSS; sets BIG_OUT, EDGE_GROWTH_MB, C1_GROWTH_MB
  local name=$1; shift
  local e0 c0 emax cmax e c p
  e0=$(rss $EDGE_PID); c0=$(rss $PID_c1); emax=$e0; cmax=$c0
  inns $NS_EDGE curl -sS -m 150 -x http://$GWADDR -H "Proxy-Authorization: Bearer $GW" -H "cf-vpc-binding: WEB" \
    "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  p=$!
  local n=0
  while kill -0 $p 2>/dev/null && [ $n -lt 1500 ]; do
    e=$(rss $EDGE_PID); c=$(rss $PID_c1)
    [ "$e" -gt "$emax" ] && emax=$e; [ "$c" -gt "$cmax" ] && cmax=$c
    sleep 0.1; n=$((n + 1))
  done
  wait $p
  BIG_OUT=$(cat "$WORK/$name.out" "$WORK/$name.err")
  EDGE_GROWTH_MB=$(( (emax - e0) / 1024 )); C1_GROWTH_MB=$(( (cmax - c0) / 1024 ))
  BIG_RSS="edge RSS $((e0 / 1024))->max $((emax / 1024)) MiB, connector RSS $((c0 / 1024))->max $((cmax / 1024)) MiB"
}
GIB=1073741824
log "1 GiB download"
t0=$(date +%s)
big download -o /dev/null -w '%{http_code} %{size_download}' "http://web.internal/big?bytes=$GIB"
secs=$(( $(date +%s) - t0 ))
if [ "$BIG_OUT" = "200 $GIB" ] && [ $EDGE_GROWTH_MB -lt 200 ] && [ $C1_GROWTH_MB -lt 200 ]; then
  pass "1 GiB download in ${secs}s, memory flat ($BIG_RSS)"
else
  fail "1 GiB download, memory flat" "curl: $BIG_OUT" "$BIG_RSS (growth limit 200 MiB)"
fi
log "1 GiB upload"
truncate -s $GIB "$WORK/upload.bin"
t0=$(date +%s)
big upload -T "$WORK/upload.bin" "http://web.internal/upload"
secs=$(( $(date +%s) - t0 ))
rm -f "$WORK/upload.bin"
if grep -q "\"body_len\": $GIB" <<< "$BIG_OUT" && [ $EDGE_GROWTH_MB -lt 200 ] && [ $C1_GROWTH_MB -lt 200 ]; then
  pass "1 GiB upload in ${secs}s, origin got every byte, memory flat ($BIG_RSS)"
else
  fail "1 GiB upload, memory flat" "origin answer: ${BIG_OUT:0:300}" "$BIG_RSS (growth limit 200 MiB)"
fi
log "512 MiB upload to an origin that reads nothing for 4 s"
truncate -s $((512 << 20)) "$WORK/upload.bin"
big slowupload -T "$WORK/upload.bin" "http://web.internal/upload?pause=4"
rm -f "$WORK/upload.bin"
if grep -q "\"body_len\": $((512 << 20))" <<< "$BIG_OUT" && [ $EDGE_GROWTH_MB -lt 200 ] && [ $C1_GROWTH_MB -lt 200 ]; then
  pass "backpressure upstream: a slow origin holds the worker's upload back, memory flat ($BIG_RSS)"
else
  fail "backpressure upstream: a slow origin holds the worker's upload back, memory flat" "origin answer: ${BIG_OUT:0:300}" "$BIG_RSS (growth limit 200 MiB)"
fi

# ---------------------------------------------------------------- failover
log "failover: kill -9 one of the two connectors of tunnel tf under load"
# f1 (conn1 host, LAN 10.250.2.2) is killed while long streams run on both connectors.
if out=$(timeout 60 ip netns exec $NS_EDGE $PY "$HERE/load.py" failover --gw $GWADDR --token "$GW" --binding FAILOVER \
      --slow-url 'http://web.internal/slow?secs=4&chunks=8' --url http://web.internal/after-kill --streams 40 --after 100 \
      --hang-url 'http://web.internal/slow?head_delay=2&secs=0.5&chunks=2' --hang 20 --origin-log "$WORK/origins.log" \
      --kill-pid $PID_f1 --kill-peer 10.250.2.2 --timeout 30 2>&1); then
  pass "failover: only streams on the killed connector fail (unanswered ones: stream_reset, not retried), new fetches succeed at once: $out"
else
  fail "failover: only streams on the killed connector fail (unanswered ones: stream_reset, not retried), new fetches succeed at once" "$out"
fi
fetch FAILOVER http://web.internal/after
check "failover: fetch after the kill is served by the surviving connector" status=200 json.id=web json.peer=10.250.2.3
kill -KILL $PID_f2 2>/dev/null
for i in $(seq 30); do
  fetch FAILOVER http://web.internal/none-left
  grep -q no_connector $R.h && break
  sleep 0.1
done
check "failover: with no connector left -> no_connector" status=502 err=no_connector

# ---------------------------------------------------------------- metrics, leaks
metrics() { inns $NS_EDGE curl -s -m 5 http://127.0.0.1:19090/metrics; }
M=$(metrics)
mval() { echo "$M" | awk -v k="$1" 'index($0, k" ") == 1 || index($0, k"{") == 1 {print $NF; exit}'; }
missing=()
for k in 'vpc_gateway_fetches_total{binding="WEB",code="ok"}' 'vpc_gateway_fetches_total{binding="BADTLS",code="tls_failed"}' \
         'vpc_gateway_fetches_total{binding="BLACKHOLE",code="connect_timeout"}' "vpc_tunnel_links{tunnel_id=\"$T1\"}"; do
  v=$(echo "$M" | grep -F "$k" | awk '{print $NF}' | head -1)
  [ -n "$v" ] && [ "${v%%.*}" -ge 1 ] 2>/dev/null || missing+=("$k=${v:-absent}")
done
if [ ${#missing[@]} -eq 0 ]; then pass "edge /metrics: fetches per binding and code, links per tunnel"
else fail "edge /metrics: fetches per binding and code, links per tunnel" "${missing[@]}"; fi
open=""
for i in $(seq 30); do
  open=$(metrics | awk '/^vpc_tunnel_open_streams/ {s += $NF} END {print s + 0}')
  [ "$open" = 0 ] && break
  sleep 0.1
done
if [ "$open" = 0 ]; then pass "edge: no tunnel stream left open after the suite"
else fail "edge: no tunnel stream left open after the suite" "vpc_tunnel_open_streams = $open"; fi
leaks=$(grep -l 'LEAK:' "$WORK"/edge.log "$WORK"/c1.log "$WORK"/c2.log "$WORK"/f1.log "$WORK"/f2.log 2>/dev/null)
if [ -z "$leaks" ]; then pass "no Netty LEAK report in the edge or connector logs"
else fail "no Netty LEAK report in the edge or connector logs" "$(grep -h -A3 'LEAK:' $leaks | head -8)"; fi

# ---------------------------------------------------------------- edge restart: connectors come back by themselves
log "edge restart"
kill -TERM $EDGE_PID
for i in $(seq 100); do kill -0 $EDGE_PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $EDGE_PID 2>/dev/null; then
  fail "edge: SIGTERM drains and exits" "still running 10 s after SIGTERM"
else
  pass "edge: SIGTERM drains and exits"
fi
ip netns exec $NS_EDGE java $EDGE_JOPTS -jar "$EDGE_JAR" serve --data "$WORK/edge/d" --tunnel-listen 10.250.1.1:7844 \
  --api-listen 127.0.0.1:18080 --gateway-listen $GWADDR --metrics-listen 127.0.0.1:19090 \
  --connect-timeout 2s --tls-timeout 3s --grace-period 1s >> "$WORK/edge.log" 2>&1 & EDGE_PID=$!; PIDS+=($EDGE_PID)
disown $EDGE_PID
back=""
if wait_ready $NS_EDGE http://127.0.0.1:19090/ready 60; then
  for i in $(seq 150); do
    fetch WEB http://web.internal/after-restart
    [ "$(cat $R.s)" = 200 ] && { back=yes; break; }
    sleep 0.2
  done
fi
if [ -n "$back" ]; then
  check "edge restarted: the connector reconnects by itself and fetches work again (same gateway token)" status=200 json.id=web
else
  fail "edge restarted: the connector reconnects by itself and fetches work again" "last: $(cat $R.s) $(head -c 200 $R.b)"
fi

# ---------------------------------------------------------------- summary
echo
echo "== 20-netns-gateway: ${#PASSED[@]} passed, ${#FAILED[@]} failed, $(( $(date +%s) - SUITE_START )) s"
for f in "${FAILED[@]}"; do echo "   FAILED: $f"; done
[ ${#FAILED[@]} -eq 0 ]
