# Shared by scripts/quickstart.sh and scripts/tests/30-workerd.sh (sourced, not run).
# Background processes started with `start NAME CMD…` are recorded and stopped by `stop_all`, by PID only.

PIDS=()
PID_NAMES=()

# start NAME LOG CMD…: runs CMD in the background with stdout+stderr to LOG; its PID is remembered.
start() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  PIDS+=("$!")
  PID_NAMES+=("$name")
}

# stop_all: SIGTERM to every started process (last started first), wait up to 10 s, then SIGKILL.
stop_all() {
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[$i]}
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  PID_NAMES=()
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# poll SECONDS PID COMMAND...: runs COMMAND every 0.2 s until it succeeds; false on timeout or when PID (if not
# empty) died.
poll() {
  local secs=$1 pid=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    if "$@"; then
      return 0
    fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    sleep 0.2
  done
  return 1
}

# wait_http URL SECONDS [PID]: waits for a 2xx answer; false on timeout or when PID died.
wait_http() {
  poll "$2" "${3:-}" curl -sf -o /dev/null --max-time 2 "$1"
}

# wait_line FILE TEXT SECONDS [PID]: waits until FILE contains TEXT.
wait_line() {
  poll "$3" "${4:-}" grep -q -e "$2" "$1" 2>/dev/null
}

# json_get KEY.PATH < JSON: prints one value (node is there: npm needs it).
json_get() {
  node -e 'let o = JSON.parse(require("fs").readFileSync(0, "utf8"));
for (const k of process.argv[1].split(".")) o = o == null ? undefined : o[k];
if (o === undefined) process.exit(1);
console.log(typeof o === "string" ? o : JSON.stringify(o));' "$1"
}

# last_pid: the PID of the process started last.
last_pid() {
  echo "${PIDS[${#PIDS[@]} - 1]}"
}

# ready_then_http LOG TEXT URL SECONDS PID: waits until PID logged TEXT (so the answer below is ours, not from another
# process that holds the port), then for a 2xx on URL; false when PID died or on timeout.
ready_then_http() {
  local log=$1 text=$2 url=$3 secs=$4 pid=$5
  wait_line "$log" "$text" "$secs" "$pid" && kill -0 "$pid" 2>/dev/null && wait_http "$url" "$secs" "$pid" \
    && kill -0 "$pid" 2>/dev/null
}

# serving_http URL SECONDS PID: waits until URL answers (any status) while PID lives, and PID still lives 0.5 s later
# (a server that lost the port race exits at once; the answer would then have come from someone else).
serving_http() {
  local url=$1 secs=$2 pid=$3 i
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if curl -s -o /dev/null --max-time 2 "$url"; then
      sleep 0.5
      kill -0 "$pid" 2>/dev/null
      return
    fi
    sleep 0.2
  done
  return 1
}

# lock_ports NAME BASE: one run at a time per port block (the lock is inherited by what the run starts, so a setup
# left running with --keep holds it too); false when another run holds it.
lock_ports() {
  exec 9>"${TMPDIR:-/tmp}/$1-$2.lock"
  flock -n 9
}
