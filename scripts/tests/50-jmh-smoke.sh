#!/usr/bin/env bash
# Runs every JMH benchmark once, briefly, in-process: a benchmark whose setup or body throws fails the suite.
# The figures are not measurements (no warm-up); README says how to run the real thing.
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "jmh-smoke: $jar missing (scripts/test.sh builds it with -Pbench)" >&2; exit 1; }
timeout 300 java -jar "$jar" -foe true -f 0 -wi 0 -i 1 -r 100ms -rf text -rff /tmp/jmh-smoke.$$.txt >/tmp/jmh-smoke.$$.log 2>&1 || {
  tail -40 /tmp/jmh-smoke.$$.log >&2; rm -f /tmp/jmh-smoke.$$.*; exit 1; }
n=$(grep -c ' avgt ' /tmp/jmh-smoke.$$.txt || true)
rm -f /tmp/jmh-smoke.$$.*
[ "$n" -ge 10 ] || { echo "jmh-smoke: only $n benchmark results" >&2; exit 1; }
echo "jmh-smoke: $n benchmarks ran"
