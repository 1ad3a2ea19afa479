#!/usr/bin/env bash
# Quickstart: a Worker running in workerd reaches a private origin through this project's edge and connector.
#
#   scripts/quickstart.sh          # build, start everything, make one request to the Worker, stop everything
#   scripts/quickstart.sh --keep   # ... and leave it all running to try by hand (prints how to stop it)
#
# Needs: Java 17+, npm (with node) and curl. workerd comes from the npm registry into .tools/workerd.
# Loopback ports (QUICKSTART_PORT_BASE, default 27800): +1 tunnel, +2 admin API, +3 worker gateway, +4 edge metrics,
# +5 connector metrics, +6 the sample private origin, +7 the Worker in workerd.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/lib/common.sh

KEEP=0
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown option $a (try --help)" >&2; exit 2 ;;
  esac
done

BASE=${QUICKSTART_PORT_BASE:-27800}
P_TUNNEL=$((BASE + 1)) P_API=$((BASE + 2)) P_GW=$((BASE + 3)) P_METRICS=$((BASE + 4)) P_CMETRICS=$((BASE + 5))
P_ORIGIN=$((BASE + 6)) P_WORKER=$((BASE + 7))
API="http://127.0.0.1:$P_API"
STEPS=10
n=0
step() { n=$((n + 1)); printf '\n==> [%d/%d] %s\n' "$n" "$STEPS" "$*"; }
say() { printf '    %s\n' "$*"; }
T=
trap 'exit 130' INT TERM # from the start: a TERM during the build waits for it instead of orphaning it
die() {
  echo "quickstart: $*" >&2
  if [ -n "$T" ]; then
    for f in "$T"/*.log; do
      [ -s "$f" ] || continue
      echo "--- $f (last 20 lines)" >&2
      tail -n 20 "$f" >&2
    done
    echo "quickstart: logs and data kept in $T" >&2
  fi
  exit 1
}

# --- prerequisites and ports, before anything starts
T_START=$(date +%s)
step "Checking prerequisites and ports"
command -v java >/dev/null || die "Java 17+ is required (Debian: apt-get install openjdk-17-jdk-headless)"
jv=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${jv%%.*}" -ge 17 ] 2>/dev/null || die "Java 17+ is required (found ${jv:-unknown})"
command -v npm >/dev/null && command -v node >/dev/null || die "npm and node are required to install workerd (Debian: apt-get install npm)"
command -v curl >/dev/null || die "curl is required (Debian: apt-get install curl)"
grep -q '"service_id": *"REPLACE_WITH_SERVICE_ID"' examples/hello-vpc/wrangler.jsonc || die "examples/hello-vpc/wrangler.jsonc" \
  "lost its REPLACE_WITH_SERVICE_ID placeholder (edited in place?): 'git checkout examples/hello-vpc/wrangler.jsonc' restores it"
lock_ports vpc-quickstart "$BASE" || die "another quickstart on ports $((BASE + 1))-$((BASE + 7)) is running (one left running with --keep? stop it with the command it printed, or set QUICKSTART_PORT_BASE)"
for p in $P_TUNNEL $P_API $P_GW $P_METRICS $P_CMETRICS $P_ORIGIN $P_WORKER; do
  port_free "$p" || die "port $p on 127.0.0.1 is in use (a quickstart left running with --keep? stop it with the command it printed, or set QUICKSTART_PORT_BASE)"
done
say "java $jv, node $(node --version), ports $((BASE + 1))-$((BASE + 7)) free"

step "Building the edge and the connector (./mvnw -q package -DskipTests)"
t0=$(date +%s)
./mvnw -q package -DskipTests || die "the build failed"
say "edge/target/edge.jar and connector/target/connector.jar ready ($(($(date +%s) - t0)) s)"

step "Installing workerd from npm (@cloudflare/workerd-linux-64) into .tools/workerd"
WORKERD=$(scripts/install-workerd.sh | tail -n 1) || die "could not install workerd"
say "$WORKERD ($("$WORKERD" --version 2>/dev/null))"

T=$(mktemp -d "${TMPDIR:-/tmp}/vpc-quickstart.XXXXXX")
# a caller that must stop this setup (loadtest.sh --quickstart) learns where it lives, whatever the path holds
[ -z "${QUICKSTART_DIR_FILE:-}" ] || printf '%s\n' "$T" > "$QUICKSTART_DIR_FILE"
cleanup() {
  local rc=$?
  if [ "$KEEP" = 1 ] && [ "$rc" = 0 ]; then
    return
  fi
  stop_all
  if [ "$rc" = 0 ]; then
    rm -rf "$T"
  else
    echo "quickstart: stopped; logs and data (with the admin API token) kept in $T" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# the processes run copies of the jars, so that a rebuild while --keep leaves them running does not pull classes
# from under them
cp edge/target/edge.jar connector/target/connector.jar "$T/"
# short-lived CLI calls: C1 only and the serial GC start faster
edge() { java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$T/edge.jar" "$@"; }

step "Initialising an edge in $T/data and starting it"
edge init --data "$T/data" --json >"$T/init.json" 2>"$T/init.log" || die "edge init failed"
export EDGE_API_TOKEN EDGE_API_URL=$API
EDGE_API_TOKEN=$(json_get api_token <"$T/init.json")
start edge "$T/edge.log" java -jar "$T/edge.jar" serve --data "$T/data" \
  --tunnel-listen "127.0.0.1:$P_TUNNEL" --api-listen "127.0.0.1:$P_API" \
  --gateway-listen "127.0.0.1:$P_GW" --metrics-listen "127.0.0.1:$P_METRICS"
ready_then_http "$T/edge.log" "metrics ready on http://127.0.0.1:$P_METRICS/" "http://127.0.0.1:$P_METRICS/ready" 60 "$(last_pid)" \
  || die "the edge did not become ready"
say "edge up: tunnel 127.0.0.1:$P_TUNNEL, admin API $API, worker gateway 127.0.0.1:$P_GW"

step "Starting a sample private origin on 127.0.0.1:$P_ORIGIN (scripts/lib/sample-origin.js)"
start origin "$T/origin.log" node scripts/lib/sample-origin.js --http "127.0.0.1:$P_ORIGIN"
wait_line "$T/origin.log" "^sample-origin ready$" 20 "$(last_pid)" || die "the sample origin did not start"
say "it answers with JSON describing the request it received"

step "Creating a tunnel and starting a connector for it"
edge tunnel create quickstart >"$T/tunnel.txt" 2>"$T/tunnel.log" || die "edge tunnel create failed"
TID=$(awk '/^id:/ {print $2}' "$T/tunnel.txt")
(umask 077 && awk '/^token:/ {print $2}' "$T/tunnel.txt" >"$T/tunnel.token")
start connector "$T/connector.log" java -jar "$T/connector.jar" run \
  --token-file "$T/tunnel.token" --edge "127.0.0.1:$P_TUNNEL" --edge-ca "$T/data/edge-ca.pem" \
  --ha-connections 2 --metrics-listen "127.0.0.1:$P_CMETRICS"
ready_then_http "$T/connector.log" "metrics ready on http://127.0.0.1:$P_CMETRICS/" "http://127.0.0.1:$P_CMETRICS/ready" 60 "$(last_pid)" \
  || die "the connector did not connect"
say "tunnel $TID: connector linked"

step "Creating a VPC service for the origin (host 127.0.0.1, http_port $P_ORIGIN, via the tunnel)"
edge service create --json "{\"type\":\"http\",\"name\":\"quickstart-api\",\"http_port\":$P_ORIGIN,\"host\":{\"ipv4\":\"127.0.0.1\",\"network\":{\"tunnel_id\":\"$TID\"}}}" \
  >"$T/service.json" 2>"$T/service.log" || die "edge service create failed"
SID=$(json_get service_id <"$T/service.json")
say "service $SID"

step "Deploying examples/hello-vpc (service id filled into a copy in $T/hello-vpc)"
cp -R examples/hello-vpc "$T/hello-vpc"
sed -i "s/REPLACE_WITH_SERVICE_ID/$SID/" "$T/hello-vpc/wrangler.jsonc"
edge deploy --config "$T/hello-vpc/wrangler.jsonc" --json >"$T/deploy.json" 2>"$T/deploy.log" || die "edge deploy failed"
GW_TOKEN=$(json_get gateway_token <"$T/deploy.json") || die "edge deploy printed no gateway token"
(umask 077 && printf '%s\n' "$GW_TOKEN" >"$T/gateway.token")
say "worker hello-vpc: env.PRIVATE_API -> VPC service $SID; its gateway token is in $T/gateway.token"

step "Generating the workerd config and starting workerd on 127.0.0.1:$P_WORKER"
edge workerd-config --config "$T/hello-vpc/wrangler.jsonc" --gateway "127.0.0.1:$P_GW" \
  --token-file "$T/gateway.token" --out "$T/workerd" --listen "127.0.0.1:$P_WORKER" \
  >"$T/workerd-config.txt" 2>"$T/workerd-config.log" || die "edge workerd-config failed"
start workerd "$T/workerd.log" "$WORKERD" serve "$T/workerd/config.capnp"
WK_PID=$(last_pid)
serving_http "http://127.0.0.1:$P_WORKER/" 20 "$WK_PID" || die "workerd did not start"
say "$T/workerd/config.capnp: env.PRIVATE_API is a wrapped binding around the gateway"

step "Calling the Worker: curl http://127.0.0.1:$P_WORKER/data"
say "the Worker runs env.PRIVATE_API.fetch(\"http://api.internal/data\") (examples/hello-vpc/src/index.js)"
code=$(curl -s -o "$T/answer.txt" -w '%{http_code}' --max-time 30 "http://127.0.0.1:$P_WORKER/data") || die "no answer from the Worker"
echo
echo "    HTTP $code from the Worker; the private origin answered:"
if node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$T/answer.txt" 2>/dev/null; then
  node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), null, 2))' "$T/answer.txt" | sed 's/^/    /'
else
  sed 's/^/    /' "$T/answer.txt"
fi
[ "$code" = 200 ] && grep -q "hello from the private origin" "$T/answer.txt" || die "the Worker did not return the origin's answer"

if [ "$KEEP" = 1 ]; then
  {
    echo "#!/usr/bin/env bash"
    echo "# Stops what scripts/quickstart.sh --keep started (by PID), then removes $T."
    echo "more=\$(cat $(printf %q "$T/more.pids") 2>/dev/null)  # processes started by hand from the recipes below"
    echo "kill ${PIDS[*]} \$more 2>/dev/null; sleep 2; kill -9 ${PIDS[*]} \$more 2>/dev/null; rm -rf $(printf %q "$T"); echo stopped"
  } >"$T/stop.sh"
  chmod +x "$T/stop.sh"
  cat <<MSG

Done in $(($(date +%s) - T_START)) s. Everything is still running (--keep). Try it by hand:
    curl http://127.0.0.1:$P_WORKER/data                  # the Worker in workerd -> edge -> connector -> origin
    curl http://127.0.0.1:$P_WORKER/anything?x=1          # the path goes to the origin too
    curl -x http://127.0.0.1:$P_GW -H "Proxy-Authorization: Bearer \$(cat $(printf %q "$T/gateway.token"))" \\
         -H "cf-vpc-binding: PRIVATE_API" http://api.internal/data      # the gateway directly, as workerd calls it
    VPC_GATEWAY_TOKEN=\$(cat $(printf %q "$T/gateway.token")) scripts/loadtest.sh --gateway 127.0.0.1:$P_GW \\
         --binding PRIVATE_API --url http://api.internal/data --duration 10s --connections 50   # a load test
    export EDGE_API_URL=$API EDGE_API_TOKEN=\$(node -p "require(process.argv[1]).api_token" $(printf %q "$T/init.json"))
    scripts/edge service list                             # the admin CLI
  Edit $T/hello-vpc/src/index.js, then restart workerd (it reads the module at start):
    kill $WK_PID; $(printf %q "$WORKERD") serve $(printf %q "$T/workerd/config.capnp") & echo \$! >> $(printf %q "$T/more.pids")
  Logs: $T/*.log   PIDs: ${PID_NAMES[*]} = ${PIDS[*]}
Stop everything:
    $(printf %q "$T/stop.sh")
MSG
else
  printf '\nDone in %d s: a Worker in workerd reached the private origin through the edge and the connector.\n' \
    "$(($(date +%s) - T_START))"
  echo "Stopping everything it started."
  echo "(run scripts/quickstart.sh --keep to leave it running and try it by hand)"
fi
