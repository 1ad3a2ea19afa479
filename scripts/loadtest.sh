#!/usr/bin/env bash
# Load test of a running edge gateway through one binding (a Worker's env.BINDING.fetch(url), many times).
#
#   VPC_GATEWAY_TOKEN=gw_... scripts/loadtest.sh --binding PRIVATE_API --url http://api.internal:9999/index.html \
#       [--gateway 127.0.0.1:8787] [--duration 10s] [--connections 50] [--threads 2] [--h2c [--streams 10]]
#
# Options
#   --gateway HOST:PORT   the edge's --gateway-listen address (default 127.0.0.1:8787)
#   --token TOKEN         the worker's gateway token; prefer the env var VPC_GATEWAY_TOKEN (tokens on a command
#                         line show up in `ps`)
#   --binding NAME        the binding (header cf-vpc-binding)
#   --url URL             the fetch URL (scheme, host and path); or --host H [--path /p] [--scheme http|https]
#   --duration D          e.g. 10s, 2m (default 10s)
#   --connections N       concurrent connections (default 50)
#   --threads N           load-generator threads (default: min(cores, connections))
#   --h2c                 HTTP/2 cleartext (prior knowledge) with h2load instead of HTTP/1.1 with wrk
#   --streams N           with --h2c: concurrent streams per connection (default 10)
#   --method M --body FILE  (wrk only) send M with FILE as the body
#
# Prints requests/s, latency p50/p90/p99/max, bytes/s and failed requests counted by their cf-vpc-error code (wrk;
# h2load cannot read response headers, so there failures are counted by status class). A progress line is shown
# while it runs. Exit status: 0 when every request succeeded (2xx/3xx), 1 when any failed, 2 on a usage error.
# It starts nothing itself: run the edge, a connector and the origin first (README's quickstart).
# Uses wrk (Debian package wrk) or h2load (nghttp2-client); installs the one it needs when missing and root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

GATEWAY=127.0.0.1:8787 TOKEN=${VPC_GATEWAY_TOKEN:-} BINDING="" URL="" HOST="" PATH_Q="/" SCHEME=http
DURATION=10s CONNS=50 THREADS="" H2C=0 STREAMS=10 METHOD="" BODY=""
usage() { sed -n '2,26p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --gateway) GATEWAY=$2; shift ;;
    --token) TOKEN=$2; shift ;;
    --binding) BINDING=$2; shift ;;
    --url) URL=$2; shift ;;
    --host) HOST=$2; shift ;;
    --path) PATH_Q=$2; shift ;;
    --scheme) SCHEME=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections|-c) CONNS=$2; shift ;;
    --threads|-t) THREADS=$2; shift ;;
    --h2c) H2C=1 ;;
    --streams) STREAMS=$2; shift ;;
    --method) METHOD=$2; shift ;;
    --body) BODY=$2; shift ;;
    --start) echo "loadtest.sh: --start is not implemented; start the quickstart setup first (README)" >&2; exit 2 ;;
    -h|--help) usage ;;
    *) echo "loadtest.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done
[ -n "$TOKEN" ] || { echo "loadtest.sh: no gateway token: set VPC_GATEWAY_TOKEN (or --token)" >&2; exit 2; }
[ -n "$BINDING" ] || { echo "loadtest.sh: --binding is required" >&2; exit 2; }
if [ -n "$URL" ]; then
  [[ "$URL" =~ ^(https?)://([^/]+)(/.*)?$ ]] || { echo "loadtest.sh: --url must look like http://host[:port]/path" >&2; exit 2; }
  SCHEME=${BASH_REMATCH[1]}; HOST=${BASH_REMATCH[2]}; PATH_Q=${BASH_REMATCH[3]:-/}
fi
[ -n "$HOST" ] || { echo "loadtest.sh: --url or --host is required" >&2; exit 2; }
case "$SCHEME" in http|https) ;; *) echo "loadtest.sh: --scheme must be http or https" >&2; exit 2 ;; esac
[[ "$CONNS" =~ ^[0-9]+$ ]] && [ "$CONNS" -ge 1 ] || { echo "loadtest.sh: --connections must be a positive number" >&2; exit 2; }
secs=$(python3 -c "import sys,re;m=re.fullmatch(r'(\d+)(ms|s|m|h)?',sys.argv[1]);print(-1 if not m else max(1,int(m[1])*{'ms':0.001,'s':1,'m':60,'h':3600,None:1}[m[2]]))" "$DURATION" | cut -d. -f1)
[ "$secs" -ge 1 ] || { echo "loadtest.sh: --duration must look like 10s or 2m" >&2; exit 2; }
[ -n "$THREADS" ] || THREADS=$(( $(nproc) < CONNS ? $(nproc) : CONNS ))

tool=wrk pkg=wrk
[ $H2C = 1 ] && { tool=h2load; pkg=nghttp2-client; }
if ! command -v $tool >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing $pkg" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkg >/dev/null
  else
    echo "loadtest.sh: $tool is missing: apt-get install $pkg" >&2; exit 2
  fi
fi

T=$(mktemp -d); PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

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
  args=(-t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s -s "$here/wrk/report.lua"
        -H "Host: $HOST" -H "cf-vpc-scheme: $SCHEME" -H "Proxy-Authorization: Bearer $TOKEN" -H "cf-vpc-binding: $BINDING")
  if [ -n "$METHOD" ] || [ -n "$BODY" ]; then
    # wrk takes the method and body from the script's globals: a tiny wrapper script sets them
    cat > "$T/req.lua" <<EOF
wrk.method = "${METHOD:-POST}"
local f = io.open("$BODY", "rb"); if f then wrk.body = f:read("*a"); f:close() end
dofile("$here/wrk/report.lua")
EOF
    args[5]="$T/req.lua"
  fi
  WRK_COUNT_ERRORS=1 wrk "${args[@]}" "http://$GATEWAY$PATH_Q" > "$T/out" 2>&1 & PID=$!
  progress $PID "$secs"; wait $PID || true; PID=""
  line=$(grep '^WRK ' "$T/out" || true)
  [ -n "$line" ] || { echo "loadtest.sh: wrk failed:" >&2; cat "$T/out" >&2; exit 1; }
  python3 - "$T/out" <<'EOF' || fails=1
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
print(f"requests:   {kv['requests']:.0f} in {secs:.1f} s = {kv['requests']/secs:.0f} requests/s")
print(f"latency:    p50 {kv['p50']/1000:.2f} ms  p90 {kv['p90']/1000:.2f} ms  p99 {kv['p99']/1000:.2f} ms  max {kv['max']/1000:.2f} ms")
print(f"throughput: {kv['bytes']/secs/1e6:.2f} MB/s ({kv['bytes']:.0f} bytes read)")
failed = kv["non2xx"] + sock
print(f"failed:     {failed:.0f} ({kv['non2xx']:.0f} non-2xx/3xx answers, {kv['err_connect']:.0f} connect, {kv['err_read']:.0f} read, {kv['err_write']:.0f} write errors, {kv['err_timeout']:.0f} timeouts)")
if codes:
    print("cf-vpc-error codes:")
    for c, n in sorted(codes.items(), key=lambda x: -x[1]):
        print(f"  {c:22} {n}")
other = kv["non2xx"] - sum(codes.values())
if other > 0:
    print(f"  {'(origin non-2xx)':22} {other:.0f}")
sys.exit(1 if failed > 0 else 0)
EOF
else
  h2_threads=$(( THREADS < CONNS ? THREADS : CONNS ))
  h2load -D "$secs" -c "$CONNS" -t "$h2_threads" -m "$STREAMS" --log-file="$T/log" \
      -H ":authority: $HOST" -H "cf-vpc-scheme: $SCHEME" -H "proxy-authorization: Bearer $TOKEN" -H "cf-vpc-binding: $BINDING" \
      "http://$GATEWAY$PATH_Q" > "$T/out" 2>&1 & PID=$!
  progress $PID "$secs"; wait $PID || true; PID=""
  grep -q '^requests:' "$T/out" || { echo "loadtest.sh: h2load failed:" >&2; cat "$T/out" >&2; exit 1; }
  python3 - "$T/out" "$T/log" "$secs" <<'EOF' || fails=1
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
print(f"requests:   {done} in {secs:.1f} s = {done/secs:.0f} requests/s")
print(f"latency:    p50 {pct(50):.2f} ms  p90 {pct(90):.2f} ms  p99 {pct(99):.2f} ms  max {(lat[-1]/1000 if lat else 0):.2f} ms")
if traffic:
    print(f"throughput: {int(traffic.group(1))/secs/1e6:.2f} MB/s")
bad = sum(n for k, n in st.items() if k not in ("2xx", "3xx"))
# h2load: "failed" = answered but not 2xx/3xx, "errored" = stream errors, "timeout"
failed = int(m.group(5)) + int(m.group(6)) + int(m.group(7)) if m else bad
print(f"failed:     {failed} (by status: {', '.join(f'{k} {n}' for k, n in sorted(st.items()))}; h2load cannot read cf-vpc-error, rerun without --h2c for codes)")
sys.exit(1 if failed > 0 else 0)
EOF
fi
exit $fails
