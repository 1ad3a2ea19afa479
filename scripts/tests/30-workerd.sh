#!/usr/bin/env bash
# A real Worker in workerd, through a real edge and connector (run by scripts/test.sh after the Java build):
#   - success: the private origin's body comes back through env.API.fetch() (GET and POST with a body);
#   - Host / SNI: the origin sees the fetch URL's host as Host (http) and as Host and SNI (https, test CA given to
#     the connector with --origin-ca);
#   - vpc_networks bindings: tunnel_id (the URL picks the destination) and cf1:network (a CIDR route; no_route);
#   - fetch() rejects with connect_failed (a service whose port has nothing listening), caught by the Worker.
# Ports 28400-28419 on loopback and a temporary folder; every process it starts is stopped by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/lib/common.sh"

BASE=${WORKERD_TEST_PORT_BASE:-28400}
P_TUNNEL=$((BASE + 1)) P_API=$((BASE + 2)) P_GW=$((BASE + 3)) P_METRICS=$((BASE + 4)) P_CMETRICS=$((BASE + 5))
P_HTTP=$((BASE + 6)) P_HTTPS=$((BASE + 7)) P_DEAD=$((BASE + 8)) P_WORKER=$((BASE + 9))
EDGE_JAR="$ROOT/edge/target/edge.jar"
CONNECTOR_JAR="$ROOT/connector/target/connector.jar"

skip() { echo "30-workerd: SKIP: $*"; exit 0; }
fail() {
  echo "30-workerd: FAIL: $*" >&2
  for f in "$T"/*.log; do
    [ -e "$f" ] || continue
    echo "--- $(basename "$f") (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}
ok() { echo "30-workerd: ok: $*"; }

[ -f "$EDGE_JAR" ] && [ -f "$CONNECTOR_JAR" ] || { echo "30-workerd: build first (./mvnw -q package -DskipTests)" >&2; exit 1; }
command -v npm >/dev/null || skip "npm is not installed (Debian: apt-get install npm)"
command -v node >/dev/null || skip "node is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"
command -v curl >/dev/null || skip "curl is not installed"
lock_ports vpc-workerd-test "$BASE" || { echo "30-workerd: another run on ports $BASE+ is in progress" >&2; exit 1; }
for p in $P_TUNNEL $P_API $P_GW $P_METRICS $P_CMETRICS $P_HTTP $P_HTTPS $P_DEAD $P_WORKER; do
  port_free "$p" || { echo "30-workerd: port $p is in use (set WORKERD_TEST_PORT_BASE)" >&2; exit 1; }
done

WORKERD=$("$ROOT/scripts/install-workerd.sh" | tail -n 1)
T=$(mktemp -d "${TMPDIR:-/tmp}/vpc-workerd-test.XXXXXX")
cleanup() {
  stop_all
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)
# short-lived CLI calls: C1 only and the serial GC start faster
edge() { java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$EDGE_JAR" "$@"; }
API="http://127.0.0.1:$P_API"

# --- test CA and an origin certificate for secure.internal
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" \
  -days 2 -subj "/CN=vpc-workerd-test-ca" >/dev/null 2>&1 || fail "openssl: test CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/origin.key" -out "$T/origin.csr" \
  -subj "/CN=secure.internal" >/dev/null 2>&1 || fail "openssl: origin key"
printf 'subjectAltName=DNS:secure.internal\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext.cnf"
openssl x509 -req -in "$T/origin.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -out "$T/origin.pem" \
  -days 2 -extfile "$T/ext.cnf" >/dev/null 2>&1 || fail "openssl: origin certificate"

# --- edge, origin, tunnel, connector
edge init --data "$T/data" --json >"$T/init.json" || fail "edge init"
export EDGE_API_TOKEN; EDGE_API_TOKEN=$(json_get api_token <"$T/init.json")
start edge "$T/edge.log" java -jar "$EDGE_JAR" serve --data "$T/data" --tunnel-listen "127.0.0.1:$P_TUNNEL" \
  --api-listen "127.0.0.1:$P_API" --gateway-listen "127.0.0.1:$P_GW" --metrics-listen "127.0.0.1:$P_METRICS"
ready_then_http "$T/edge.log" "metrics ready on http://127.0.0.1:$P_METRICS/" "http://127.0.0.1:$P_METRICS/ready" 60 "$(last_pid)" \
  || fail "edge not ready"
start origin "$T/origin.log" node "$ROOT/scripts/lib/sample-origin.js" --http "127.0.0.1:$P_HTTP" \
  --https "127.0.0.1:$P_HTTPS" --cert "$T/origin.pem" --key "$T/origin.key"
wait_line "$T/origin.log" "^sample-origin ready$" 20 "$(last_pid)" || fail "origin not ready"
edge tunnel create wk-test --api "$API" >"$T/tunnel.txt" || fail "tunnel create"
TID=$(awk '/^id:/ {print $2}' "$T/tunnel.txt")
(umask 077 && awk '/^token:/ {print $2}' "$T/tunnel.txt" >"$T/tunnel.token")
start connector "$T/connector.log" java -jar "$CONNECTOR_JAR" run --token-file "$T/tunnel.token" \
  --edge "127.0.0.1:$P_TUNNEL" --edge-ca "$T/data/edge-ca.pem" --origin-ca "$T/ca.pem" \
  --ha-connections 2 --metrics-listen "127.0.0.1:$P_CMETRICS"
ready_then_http "$T/connector.log" "metrics ready on http://127.0.0.1:$P_CMETRICS/" "http://127.0.0.1:$P_CMETRICS/ready" 60 "$(last_pid)" \
  || fail "connector not ready"

svc() {
  edge service create --api "$API" --json "$1" >"$T/svc.json" || fail "service create $1"
  json_get service_id <"$T/svc.json"
}
SID_WEB=$(svc "{\"type\":\"http\",\"name\":\"web\",\"http_port\":$P_HTTP,\"https_port\":$P_HTTPS,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}")
SID_DEAD=$(svc "{\"type\":\"http\",\"name\":\"dead\",\"http_port\":$P_DEAD,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}")

edge route add 127.0.0.0/8 "$TID" --api "$API" >"$T/route.txt" || fail "route add"

# --- the Worker: unmodified Workers code, wrangler.jsonc as on Cloudflare
mkdir -p "$T/worker/src"
cat >"$T/worker/wrangler.jsonc" <<JSON
{
  // the workerd test's worker
  "name": "workerd-test",
  "main": "src/index.js",
  "compatibility_date": "2025-09-01",
  "vars": { "ORIGIN_PORT": "$P_HTTP" },
  "vpc_services": [
    { "binding": "API", "service_id": "$SID_WEB", "remote": true },
    { "binding": "DEAD", "service_id": "$SID_DEAD", "remote": true },
  ],
  "vpc_networks": [
    { "binding": "NET", "tunnel_id": "$TID", "remote": true },
    { "binding": "MESH", "network_id": "cf1:network", "remote": true },
  ],
}
JSON
cat >"$T/worker/src/index.js" <<'JS'
import { describe } from "./describe.js";

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    try {
      let r;
      if (path === "/plain") r = await env.API.fetch("http://api.internal:1234/data?x=1");
      else if (path === "/tls") r = await env.API.fetch("https://secure.internal/data");
      else if (path === "/post") r = await env.API.fetch("http://api.internal/echo", { method: "POST", body: "ping" });
      else if (path === "/net") r = await env.NET.fetch(`http://127.0.0.1:${env.ORIGIN_PORT}/net`);
      else if (path === "/mesh") r = await env.MESH.fetch(`http://127.0.0.1:${env.ORIGIN_PORT}/mesh`);
      else if (path === "/noroute") r = await env.MESH.fetch("http://10.255.255.1/");
      else if (path === "/dead") r = await env.DEAD.fetch("http://dead.internal/");
      else return new Response("no such test", { status: 404 });
      return Response.json({ ok: true, status: r.status, origin: await r.json() });
    } catch (e) {
      return Response.json({ ok: false, ...describe(e) });
    }
  },
};
JS
cat >"$T/worker/src/describe.js" <<'JS'
// What a Worker can see of a rejected fetch(): the code is the first word of the message.
export function describe(e) {
  return { isError: e instanceof Error, code: String(e.message).split(":")[0], codeProperty: e.code, message: e.message };
}
JS
edge deploy --config "$T/worker/wrangler.jsonc" --api "$API" --json >"$T/deploy.json" || fail "edge deploy"
GW_TOKEN=$(json_get gateway_token <"$T/deploy.json") || fail "no gateway token in: $(cat "$T/deploy.json")"
EDGE_GATEWAY_TOKEN=$GW_TOKEN edge workerd-config --config "$T/worker/wrangler.jsonc" --gateway "127.0.0.1:$P_GW" \
  --out "$T/workerd" --listen "127.0.0.1:$P_WORKER" >"$T/workerd-config.txt" || fail "edge workerd-config"
grep -q 'wrapped = (moduleName = "vpc:binding"' "$T/workerd/config.capnp" || fail "config.capnp has no wrapped binding"
[ "$(stat -c %a "$T/workerd/config.capnp")" = 600 ] || fail "config.capnp (holds the token) is not 0600"
start workerd "$T/workerd.log" "$WORKERD" serve "$T/workerd/config.capnp"
serving_http "http://127.0.0.1:$P_WORKER/" 20 "$(last_pid)" || fail "workerd did not start"

# check NAME PATH NODE_ASSERTION: fetches the Worker and evaluates the assertion on its JSON answer `r`.
check() {
  local name=$1 path=$2 assertion=$3 body
  body=$(curl -s --max-time 30 "http://127.0.0.1:$P_WORKER$path") || fail "$name: the Worker did not answer"
  if ! printf '%s' "$body" | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
if (!(eval(process.argv[1]))) { console.error("assertion failed: " + process.argv[1]); process.exit(1); }' "$assertion"; then
    fail "$name: got $body"
  fi
  ok "$name: $body"
}
check "service binding, http: origin body, Host = URL host (URL port ignored)" /plain \
  'r.ok && r.status === 200 && r.origin.message === "hello from the private origin" && r.origin.scheme === "http" && /^api\.internal(:\d+)?$/.test(r.origin.host) && r.origin.host !== "api.internal:1234" && r.origin.path === "/data?x=1"'
check "service binding, https: Host and SNI = URL host, verified with --origin-ca" /tls \
  'r.ok && r.status === 200 && r.origin.scheme === "https" && /^secure\.internal(:\d+)?$/.test(r.origin.host) && r.origin.sni === "secure.internal"'
check "service binding, POST body streamed to the origin" /post \
  'r.ok && r.origin.method === "POST" && r.origin.body === "ping"'
check "network binding (tunnel_id): the URL picks the destination" /net \
  'r.ok && r.origin.path === "/net" && r.origin.scheme === "http"'
check "network binding (cf1:network): routed by the CIDR route" /mesh \
  'r.ok && r.origin.path === "/mesh"'
check "network binding (cf1:network): no route for the address, fetch() rejects with no_route" /noroute \
  'r.ok === false && r.isError === true && r.code === "no_route"'
check "fetch() rejects with connect_failed, caught by the Worker" /dead \
  'r.ok === false && r.isError === true && r.code === "connect_failed" && r.codeProperty === "connect_failed"'

echo "30-workerd: all passed in $(($(date +%s) - started)) s"
