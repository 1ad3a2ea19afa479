#!/usr/bin/env bash
# The whole test run, as CI runs it on a fresh Debian machine (root): installs what the tests use when missing,
# builds, runs the Java tests (unit, real-socket, e2e), then every suite in scripts/tests/ (network namespaces,
# workerd, packaging). Exits non-zero when anything fails.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,4{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  "") ;;
  *) echo "test.sh: takes no arguments (got '$1'; try --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
ROOT=$PWD

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have ip || need+=(iproute2)
have dnsmasq || need+=(dnsmasq-base)
have nginx || need+=(nginx-light)
have sshd || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
have ssh || need+=(openssh-client)
have wrk || need+=(wrk)
have curl || need+=(curl)
have python3 || need+=(python3)
have npm || need+=(npm)
have openssl || need+=(openssl)
have h2load || need+=(nghttp2-client)
[ -x /usr/lib/postgresql/*/bin/initdb ] 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
have systemd-analyze || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "not root: cannot install ${need[*]}; the suites that need them will say so and skip" >&2
  fi
fi

echo "== build and Java tests (with the JMH module, so a change that breaks the benchmarks fails here)"
started=$SECONDS
# -T 2: modules that do not depend on each other build and test side by side (edge beside connector, bench as soon
# as edge is built; e2e runs its own two JVMs); their tests mostly wait on sockets and timers. A port a test keeps free on purpose comes from core's SparePorts, where no other test JVM draws.
./mvnw -B -q -Pbench -T 2 install
echo "== build and Java tests took $((SECONDS - started)) s"

failed=()
for suite in scripts/tests/*.sh; do
  [ -e "$suite" ] || continue
  echo "== $suite"
  started=$SECONDS
  # a suite that hangs (a process under test that never exits) fails after 15 minutes instead of holding CI
  if ! timeout --kill-after=30 900 bash "$suite"; then
    failed+=("$suite")
  fi
  echo "== $suite took $((SECONDS - started)) s" # the whole run is kept under 15 minutes on 2 cores
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}" >&2
  exit 1
fi
echo "== all tests passed"
