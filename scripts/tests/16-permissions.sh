#!/usr/bin/env bash
# Permission problems with the edge's data dir, as user nobody (root passes every permission check, so the Java tests
# cannot see them): a root-owned 0700 data dir and a store file at mode 000 are said to be "permission denied" with the
# owner, the mode and the user by 'edge serve' (exit 2), 'edge init' and 'edge token recover' (exit 1), never "not an
# initialised data directory" or "damaged or truncated (restore it from a backup)"; a store the user may read but not
# write starts with a warning naming the file, API writes fail (503) and work again once it is writable, no restart.
# Needs root and setpriv (util-linux); ports 27600-27699 on loopback; every process it starts is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
  echo "SKIP: needs root, setpriv and a user nobody"
  exit 0
fi
W=$(mktemp -d /tmp/vpc-perm.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$W"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }
pass() { echo "PASS: $*"; }
cp "$ROOT/edge/target/edge.jar" "$W/edge.jar" # the worktree may not be readable by nobody
chmod 644 "$W/edge.jar"
EDGE="java -jar $W/edge.jar"
AS_NOBODY=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
P=27600
API=http://127.0.0.1:$((P+80))
SERVE=(serve --tunnel-listen 127.0.0.1:$((P+44)) --api-listen 127.0.0.1:$((P+80)) --gateway-listen 127.0.0.1:$((P+87))
  --metrics-listen 127.0.0.1:$((P+90)) --grace-period 2s)

# as_nobody NAME CMD...: runs CMD as nobody, its output in $W/NAME.log; echoes the exit code
as_nobody() { local name=$1; shift; local rc=0; "${AS_NOBODY[@]}" "$@" > "$W/$name.log" 2>&1 || rc=$?; echo $rc; }
# expect NAME CODE TEXT: the run NAME exited CODE and said TEXT, and none of the misleading reasons
expect() {
  [ "$(cat "$W/$1.rc")" = "$2" ] || fail "$1: exit $(cat "$W/$1.rc"), expected $2"
  grep -qF -- "$3" "$W/$1.log" || fail "$1: no '$3'"
  ! grep -qE "not an initialised|damaged or truncated|holds no directory store" "$W/$1.log" || fail "$1: a misleading reason"
}

# a root-owned 0700 data dir
$EDGE init --data "$W/a" > /dev/null
as_nobody serve-a $EDGE "${SERVE[@]}" --data "$W/a" > "$W/serve-a.rc"
expect serve-a 2 "cannot read $W/a: permission denied (owner root, mode 0700; the edge runs as nobody)"
as_nobody init-a $EDGE init --data "$W/a" > "$W/init-a.rc"
expect init-a 1 "cannot read $W/a: permission denied (owner root, mode 0700; the edge runs as nobody); nothing changed"
as_nobody recover-a $EDGE token recover --data "$W/a" > "$W/recover-a.rc"
expect recover-a 1 "cannot read $W/a: permission denied (owner root, mode 0700; the edge runs as nobody); nothing changed"
pass "an unreadable data dir is 'permission denied' with owner, mode and user, in serve, init and token recover"

# the store file at mode 000, in a data dir of the user's own
$EDGE init --data "$W/c" > /dev/null
chown -R nobody "$W/c"
chmod 000 "$W/c/directory.mv.db"
as_nobody serve-c $EDGE "${SERVE[@]}" --data "$W/c" > "$W/serve-c.rc"
expect serve-c 2 "cannot read $W/c/directory.mv.db: permission denied (owner nobody, mode 0000; the edge runs as nobody)"
as_nobody init-c $EDGE init --data "$W/c" > "$W/init-c.rc"
expect init-c 1 "cannot read $W/c/directory.mv.db: permission denied (owner nobody, mode 0000"
as_nobody recover-c $EDGE token recover --data "$W/c" > "$W/recover-c.rc"
expect recover-c 1 "cannot read $W/c/directory.mv.db: permission denied (owner nobody, mode 0000"
pass "a store file at mode 000 is 'permission denied', not 'damaged or truncated (restore it from a backup)'"

# the store file root-owned 0644: readable, not writable
$EDGE init --data "$W/d" --json > "$W/init-d.json"
export EDGE_API_TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['api_token'])" "$W/init-d.json")
chown -R nobody "$W/d"
chown root "$W/d/directory.mv.db"
chmod 644 "$W/d/directory.mv.db"
as_nobody recover-d $EDGE token recover --data "$W/d" > "$W/recover-d.rc"
expect recover-d 1 "cannot write $W/d/directory.mv.db: permission denied (owner root, mode 0644; the edge runs as nobody); nothing changed"
"${AS_NOBODY[@]}" $EDGE "${SERVE[@]}" --data "$W/d" > "$W/serve-d.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((P+90))/ready && break; sleep 0.2; done
curl -sf -o /dev/null http://127.0.0.1:$((P+90))/ready || fail "the edge on a read-only store did not start"
grep -qF "WARN ServeCommand: cannot write $W/d/directory.mv.db: permission denied (owner root, mode 0644; the edge runs as nobody): the edge serves" \
  "$W/serve-d.log" || fail "no start-up warning naming the store file"
code=$(curl -s -o "$W/post1.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $EDGE_API_TOKEN" \
  -H 'Content-Type: application/json' -d '{"name":"t1"}' "$API/client/v4/accounts/$(python3 -c \
  "import json,sys;print(json.load(open(sys.argv[1]))['account_id'])" "$W/init-d.json")/cfd_tunnel")
[ "$code" = 503 ] || fail "a write to the read-only store answered $code, expected 503"
grep -qF "(cannot write $W/d/directory.mv.db: permission denied" "$W/serve-d.log" || fail "the failed write's log line says no reason"
sleep 2.5 # a directory refresh (every 2 s) opens the store again meanwhile, still read-only: the next write must not use that
chown nobody "$W/d/directory.mv.db"
$EDGE tunnel create t2 --api $API > "$W/t2.txt" 2>&1 || fail "a write after the store became writable: $(cat "$W/t2.txt")"
pass "a read-only store: start-up warning naming file and permission, writes 503 with the reason, then work once writable"
