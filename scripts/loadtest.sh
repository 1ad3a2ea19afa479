#!/usr/bin/env bash
# Load test of a running edge gateway through one binding (a Worker's env.BINDING.fetch(url), many times).
#
#   VPC_GATEWAY_TOKEN=gw_... scripts/loadtest.sh --binding PRIVATE_API --url http://api.internal:9999/index.html \
#       [--gateway 127.0.0.1:8787] [--duration 10s] [--connections 50] [--threads 2] [--h2c [--streams 10]]
#   scripts/loadtest.sh --quickstart [--duration 10s] [--connections 50] [--h2c]
#
# Options
#   --quickstart          start the quickstart setup first (scripts/quickstart.sh --keep: builds, then starts edge,
#                         connector, sample origin and workerd), load-test its gateway (any --gateway is replaced) and
#                         binding PRIVATE_API (URL http://api.internal/data unless --url), and stop it all afterwards,
#                         also when interrupted; without this option the script starts nothing
#   --gateway HOST:PORT   the edge's --gateway-listen address (default 127.0.0.1:8787)
#   --token TOKEN         the worker's gateway token; prefer --token-file FILE or the env var VPC_GATEWAY_TOKEN
#                         (or EDGE_GATEWAY_TOKEN, as `edge workerd-config` reads it): tokens on a command line
#                         show up in `ps` (wrk and curl get it from the environment or a file; h2load, for --h2c,
#                         only takes headers on its command line)
#   --binding NAME        the binding (header cf-vpc-binding)
#   --url URL             the fetch URL (scheme, host and path); or --host H [--path /p] [--scheme http|https]
#   --duration D          e.g. 10s, 2m (default 10s, at least 1s)
#   --connections N       concurrent connections (default 50)
#   --threads N           load-generator threads (default: cores; never more than --connections)
#   --h2c                 HTTP/2 cleartext (prior knowledge) with h2load instead of HTTP/1.1 with wrk
#   --streams N           with --h2c: concurrent streams per connection (default 10)
#   --method M --body FILE  send M with FILE as the body (wrk only: refused with --h2c)
#
# Prints requests/s, latency p50/p90/p99/max, bytes/s and failed requests counted by their cf-vpc-error code (wrk;
# h2load cannot read response headers, so with --h2c failures are counted by status, and the codes of a few requests
# like the run's are sampled with curl over h2c). A progress line is shown while it runs. Requests time out after
# 10 s, or after the run's duration when that is shorter. Exit status: 0 when every request succeeded (2xx/3xx) and at
# least one completed; 1 when any failed (an error answer, a socket error, a timeout) or none completed; 2 on a usage
# error. Uses wrk (Debian package wrk) or h2load (nghttp2-client); installs the one it needs when missing and root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

GATEWAY=127.0.0.1:8787 TOKEN=${VPC_GATEWAY_TOKEN:-${EDGE_GATEWAY_TOKEN:-}} BINDING="" URL="" HOST="" PATH_Q="/" SCHEME=http
DURATION=10s CONNS=50 THREADS="" H2C=0 STREAMS=10 METHOD="" BODY="" QUICKSTART=0
# the header above, without the leading '# '
header() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; }
bad() { echo "loadtest.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --h2c) H2C=1; shift; continue ;;
    --quickstart) QUICKSTART=1; shift; continue ;;
    -h|--help) header; exit 0 ;;
    --gateway|--token|--token-file|--binding|--url|--host|--path|--scheme|--duration|--connections|-c|--threads|-t|--streams|--method|--body)
      [ $# -ge 2 ] && [ -n "$2" ] || bad "$1 needs a value (try --help)" ;;
    *) bad "unknown option $1 (try --help)" ;;
  esac
  case "$1" in
    --gateway) GATEWAY=$2 ;;
    --token) TOKEN=$2 ;;
    --token-file) [ -r "$2" ] || bad "--token-file $2: cannot read it"; TOKEN=$(tr -d ' \r\n' < "$2") ;;
    --binding) BINDING=$2 ;;
    --url) URL=$2 ;;
    --host) HOST=$2 ;;
    --path) PATH_Q=$2 ;;
    --scheme) SCHEME=$2 ;;
    --duration) DURATION=$2 ;;
    --connections|-c) CONNS=$2 ;;
    --threads|-t) THREADS=$2 ;;
    --streams) STREAMS=$2 ;;
    --method) METHOD=$2 ;;
    --body) BODY=$2 ;;
  esac
  shift 2
done
for v in "--connections:$CONNS" "--streams:$STREAMS" ${THREADS:+"--threads:$THREADS"}; do
  n=${v#*:}
  [[ "$n" =~ ^[0-9]{1,6}$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 100000 ] || bad "${v%%:*} must be a number from 1 to 100000, got '$n'"
done
secs=$(python3 -c "import sys,re;m=re.fullmatch(r'(\d{1,7})(ms|s|m|h)?',sys.argv[1]);print(-1 if not m else int(int(m[1])*{'ms':0.001,'s':1,'m':60,'h':3600,None:1}[m[2]]))" "$DURATION")
[ "$secs" -ge 0 ] || bad "--duration must look like 10s or 2m, got '$DURATION'"
[ "$secs" -ge 1 ] || bad "--duration must be at least 1s, got '$DURATION'"
[ -z "$BODY" ] || [ -r "$BODY" ] || bad "--body: cannot read $BODY"
[ -z "$METHOD" ] || [[ "$METHOD" =~ ^[A-Za-z]+$ ]] || bad "--method: expected an HTTP method like POST, got '$METHOD'"
[ $H2C = 0 ] || [ -z "$METHOD$BODY" ] || bad "--method and --body work with wrk only: with --h2c, h2load would send GET without a body"
if [ -n "$URL" ]; then
  [[ "$URL" =~ ^(https?)://([^/?#]+)([/?#].*)?$ ]] || bad "--url must look like http://host[:port]/path"
  # the host ends at the first / ? or #: http://api.internal?x=1 is the path /?x=1; a fragment is never sent
  SCHEME=${BASH_REMATCH[1]}; HOST=${BASH_REMATCH[2]}; PATH_Q=${BASH_REMATCH[3]%%#*}
  [[ "$PATH_Q" == /* ]] || PATH_Q=/$PATH_Q
fi
case "$SCHEME" in http|https) ;; *) bad "--scheme must be http or https" ;; esac
[[ "$PATH_Q" == /* ]] || bad "--path must start with /, got '$PATH_Q'"
[[ "$GATEWAY" =~ ^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$ ]] || bad "--gateway must be HOST:PORT (as 127.0.0.1:8787), got '$GATEWAY'"

tool=wrk pkg=wrk
[ $H2C = 1 ] && { tool=h2load; pkg=nghttp2-client; }
if ! command -v $tool >/dev/null; then
  [ "$(id -u)" = 0 ] || bad "$tool is missing: apt-get install $pkg"
  echo "installing $pkg" >&2
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkg >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkg >/dev/null; }; } \
    || bad "could not install $pkg"
fi

T=$(mktemp -d); PID="" QS_PID="" QS_STOP=""
cleanup() { # every step may fail (a process already gone) without ending the cleanup: set -e holds in traps too
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi
  if [ -n "$QS_PID" ] && kill -0 "$QS_PID" 2>/dev/null; then
    kill -TERM "$QS_PID" 2>/dev/null || true; wait "$QS_PID" 2>/dev/null || true # still starting: its own trap stops what it started
  fi
  [ -n "$QS_STOP" ] || { [ -s "$T/qs.dir" ] && QS_STOP="$(cat "$T/qs.dir")/stop.sh"; }
  if [ -n "$QS_STOP" ] && [ -x "$QS_STOP" ]; then "$QS_STOP" > /dev/null 2>&1 || true; fi
  local qs; qs=$(cat "$T/qs.dir" 2>/dev/null || true)
  case "$qs" in */vpc-quickstart.*) rm -rf "$qs" ;; esac # interrupted before its stop.sh existed: nobody asked to keep it
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ $QUICKSTART = 1 ]; then
  # asked to start something: the quickstart setup, stopped again on exit (cleanup)
  QBASE=${QUICKSTART_PORT_BASE:-27800}
  echo "loadtest: starting the quickstart setup (scripts/quickstart.sh --keep, ports $((QBASE + 1))-$((QBASE + 7)))" >&2
  # in the background, so a TERM or Ctrl-C to this script is acted on at once (cleanup stops it)
  QUICKSTART_DIR_FILE="$T/qs.dir" "$here/quickstart.sh" --keep > "$T/quickstart.log" 2>&1 & QS_PID=$!
  if ! wait "$QS_PID"; then
    QS_PID=""; cat "$T/quickstart.log" >&2; echo "loadtest.sh: the quickstart setup did not start" >&2; exit 1
  fi
  QS_PID=""; QS_STOP="$(cat "$T/qs.dir" 2>/dev/null)/stop.sh"
  [ -x "$QS_STOP" ] || { echo "loadtest.sh: the quickstart left no stop.sh" >&2; exit 1; }
  GATEWAY=127.0.0.1:$((QBASE + 3)) TOKEN=$(cat "$(dirname "$QS_STOP")/gateway.token") BINDING=${BINDING:-PRIVATE_API}
  [ -n "$URL$HOST" ] || { SCHEME=http HOST=api.internal PATH_Q=/data; }
fi
[ -n "$TOKEN" ] || bad "no gateway token: set VPC_GATEWAY_TOKEN or EDGE_GATEWAY_TOKEN (or --token-file, --token)"
(umask 077 && printf 'Proxy-Authorization: Bearer %s\n' "$TOKEN" > "$T/auth.hdr") # for curl: -H @file, not the command line
[ -n "$BINDING" ] || bad "--binding is required"
[ -n "$HOST" ] || bad "--url or --host is required"
[ -n "$THREADS" ] || THREADS=$(nproc)
# a thread without a connection has nothing to do (wrk refuses it, h2load too): at most one thread per connection
THREADS=$(( THREADS < CONNS ? THREADS : CONNS ))
TIMEOUT=$(( secs < 10 ? secs : 10 ))

progress() { # pid seconds: one updating line on stderr, bounded by the run's length + 30 s
  local start; start=$(date +%s)
  while kill -0 "$1" 2>/dev/null; do
    local el=$(( $(date +%s) - start ))
    [ $el -gt $(( $2 + 30 )) ] && { echo >&2; echo "loadtest.sh: $tool did not finish, stopping it" >&2; kill "$1"; break; }
    printf '\r[loadtest] %s via %s, %d connections: %3d/%d s' "$tool" "$GATEWAY" "$CONNS" $(( el < $2 ? el : $2 )) "$2" >&2
    sleep 1
  done
  printf '\r%*s\r' 70 '' >&2
}

echo "loadtest: $SCHEME://$HOST$PATH_Q through binding $BINDING at $GATEWAY, $CONNS connections, $THREADS threads, ${secs}s ($tool$([ $H2C = 1 ] && echo ", $STREAMS streams per connection"))"
fails=0
if [ $H2C = 0 ]; then
  args=(-t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout "${TIMEOUT}s" -s "$here/wrk/report.lua"
        -H "Host: $HOST" -H "cf-vpc-scheme: $SCHEME" -H "cf-vpc-binding: $BINDING") # the token: WRK_GATEWAY_TOKEN
  if [ -n "$METHOD" ] || [ -n "$BODY" ]; then
    # wrk takes the method and body from the script's globals: a tiny wrapper script sets them
    # paths in Lua long brackets and the body copied to a name of ours: quotes or backslashes in a path are taken as is
    [ -z "$BODY" ] || cp "$BODY" "$T/body"
    cat > "$T/req.lua" <<EOF
wrk.method = "${METHOD:-POST}"
local f = io.open([==[$T/body]==], "rb"); if f then wrk.body = f:read("*a"); f:close() end
dofile([==[$here/wrk/report.lua]==])
EOF
    args[6]="$T/req.lua" # the value after -s
  fi
  WRK_GATEWAY_TOKEN=$TOKEN WRK_COUNT_ERRORS=1 wrk "${args[@]}" "http://$GATEWAY$PATH_Q" > "$T/out" 2>&1 & PID=$!
  progress $PID "$secs"; wait $PID || true; PID=""
  line=$(grep '^WRK ' "$T/out" || true)
  [ -n "$line" ] || { echo "loadtest.sh: wrk failed:" >&2; cat "$T/out" >&2; exit 1; }
  python3 - "$T/out" <<'PY' || fails=1
import sys
kv, codes = {}, {}
for l in open(sys.argv[1]):
    f = l.split()
    if f and f[0] == "WRK":
        kv = {k: float(v) for k, v in (x.split("=", 1) for x in f[1:])}
    elif f and f[0] == "WRKCODE":
        codes[f[1]] = int(f[2])
secs = kv["duration_us"] / 1e6
sock = kv["err_connect"] + kv["err_read"] + kv["err_write"] + kv["err_timeout"]
print(f"requests:   {kv['requests']:.0f} in {secs:.2f} s = {kv['requests']/secs:.0f} requests/s")
print(f"latency:    p50 {kv['p50']/1000:.2f} ms  p90 {kv['p90']/1000:.2f} ms  p99 {kv['p99']/1000:.2f} ms  max {kv['max']/1000:.2f} ms")
rate = kv['bytes'] / secs
unit = next((u for u, d in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)) if rate >= d), "B")
print(f"throughput: {rate / {'GB': 1e9, 'MB': 1e6, 'kB': 1e3, 'B': 1}[unit]:.2f} {unit}/s = {rate:.0f} bytes/s ({kv['bytes']:.0f} bytes read)")
failed = kv["non2xx"] + sock
print(f"failed:     {failed:.0f} ({kv['non2xx']:.0f} non-2xx/3xx answers, {kv['err_connect']:.0f} connect, {kv['err_read']:.0f} read, {kv['err_write']:.0f} write errors, {kv['err_timeout']:.0f} timeouts)")
if codes:
    print("cf-vpc-error codes:")
    for c, n in sorted(codes.items(), key=lambda x: -x[1]):
        print(f"  {c:22} {n}")
other = kv["non2xx"] - sum(codes.values())
if other > 0:
    print(f"  {'(origin non-2xx)':22} {other:.0f}")
if kv["requests"] == 0:
    print("no request completed during the run (an origin that never answers?)")
    failed = max(failed, 1)
sys.exit(1 if failed > 0 else 0)
PY
else
  h2load -D "$secs" -N "$TIMEOUT" -c "$CONNS" -t "$THREADS" -m "$STREAMS" --log-file="$T/log" \
      -H ":authority: $HOST" -H "cf-vpc-scheme: $SCHEME" -H "proxy-authorization: Bearer $TOKEN" -H "cf-vpc-binding: $BINDING" \
      "http://$GATEWAY$PATH_Q" > "$T/out" 2>&1 & PID=$!
  progress $PID "$secs"; wait $PID || true; PID=""
  grep -q '^requests:' "$T/out" || { echo "loadtest.sh: h2load failed:" >&2; cat "$T/out" >&2; exit 1; }
  python3 - "$T/out" "$T/log" "$secs" <<'PY' || fails=1
import sys, re
out = open(sys.argv[1]).read()
lat, st = [], {}
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) >= 3:
        code = int(f[1]); lat.append(int(f[2]))
        k = f"{code // 100}xx" if code > 0 else "no answer"
        st[k] = st.get(k, 0) + 1
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] / 1000 if lat else 0
m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
secs = float(re.search(r"finished in ([\d.]+)s", out).group(1)) if re.search(r"finished in ([\d.]+)s", out) else float(sys.argv[3])
traffic = re.search(r"traffic: .*?\((\d+)\) total", out)
done = int(m.group(3)) if m else len(lat)
print(f"requests:   {done} in {secs:.2f} s = {done/secs:.0f} requests/s")
print(f"latency:    p50 {pct(50):.2f} ms  p90 {pct(90):.2f} ms  p99 {pct(99):.2f} ms  max {(lat[-1]/1000 if lat else 0):.2f} ms")
if traffic:
    rate = int(traffic.group(1)) / secs
    unit = next((u for u, d in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)) if rate >= d), "B")
    print(f"throughput: {rate / {'GB': 1e9, 'MB': 1e6, 'kB': 1e3, 'B': 1}[unit]:.2f} {unit}/s = {rate:.0f} bytes/s ({traffic.group(1)} bytes in all)")
bad = sum(n for k, n in st.items() if k not in ("2xx", "3xx"))
# h2load: "failed" = answered but not 2xx/3xx, "errored" = stream errors, "timeout"
failed = int(m.group(5)) + int(m.group(6)) + int(m.group(7)) if m else bad
print(f"failed:     {failed} (by status: {', '.join(f'{k} {n}' for k, n in sorted(st.items())) or 'none'})")
if done == 0:
    print("no request completed during the run (an origin that never answers, or nothing at the gateway?)")
    failed = max(failed, 1)
sys.exit(1 if failed > 0 else 0)
PY
  if [ $fails = 1 ] && awk '$2 >= 400 {f=1} END {exit !f}' "$T/log" 2>/dev/null && command -v curl >/dev/null; then
    # h2load cannot read response headers: the cf-vpc-error codes of a few requests like the run's, over h2c
    echo "cf-vpc-error codes (a sample of 5 requests with curl --http2-prior-knowledge):"
    for _ in 1 2 3 4 5; do
      curl -s -o /dev/null -D - -m "$TIMEOUT" --http2-prior-knowledge -H "Host: $HOST" -H "cf-vpc-scheme: $SCHEME" \
          -H @"$T/auth.hdr" -H "cf-vpc-binding: $BINDING" "http://$GATEWAY$PATH_Q" \
        | tr -d '\r' | awk 'tolower($1) == "cf-vpc-error:" {print $2; f=1} END {if (!f) print "(none: the origin'"'"'s own status)"}'
    done | sort | uniq -c | awk '{n=$1; $1=""; printf "  %-22s %d\n", substr($0, 2), n}'
  fi
fi
exit $fails
