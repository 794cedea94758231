#!/usr/bin/env bash
# Check throughput and the sidecar's CPU per Check with tracing off and on, alternated.
#
#   bash benchmarks/load/scripts/tracing-on-off.sh [ROUNDS] [WARMUP] [MEASURE] [SAMPLE_RATIO]
#
# From the repository root, after `mvn -q -B -pl benchmarks/load -am package -DskipTests`.
# One DiscardingCollector runs in its own process for the whole run (through both the off and
# the on runs alike); "on" is WARDEN_TRACING_OTLP_ENDPOINT pointing at it, every Check traced
# (SAMPLE_RATIO, default 1.0). Each run is the load benchmark's Warden server alone, closed loop,
# 64 in flight. Prints each run's table row, then one line per round and the medians.
set -euo pipefail
rounds=${1:-3}
warmup=${2:-20s}
measure=${3:-20s}
ratio=${4:-1.0}
jar=benchmarks/load/target/load.jar
out=$(mktemp -d)
java -cp "$jar" dev.warden.bench.load.DiscardingCollector 0 >"$out/collector" 2>&1 &
collector=$!
trap 'kill "$collector" 2>/dev/null || true; wait "$collector" 2>/dev/null || true; cat "$out/collector"' EXIT
for _ in $(seq 1 100); do
  grep -q '^collecting ' "$out/collector" && break
  sleep 0.1
done
url=$(awk '/^collecting /{print $2}' "$out/collector")
[ -n "$url" ] || { echo "the collector did not start" >&2; exit 1; }

run() { # NAME, then env assignments
  local name=$1; shift
  env "$@" java -jar "$jar" --servers warden --in-flight 64 --warmup "$warmup" --measure "$measure" \
    >"$out/$name" 2>&1
  # The table row: | 64 | 1 | warden | Checks/s | … | server CPU µs/Check | client CPU µs/Check |
  grep '^| 64 | 1 | warden |' "$out/$name" | tail -1
}
for r in $(seq 1 "$rounds"); do
  off=$(run "off-$r" WARDEN_TRACING_OTLP_ENDPOINT=)
  on=$(run "on-$r" WARDEN_TRACING_OTLP_ENDPOINT="$url" WARDEN_TRACING_SAMPLE_RATIO="$ratio")
  echo "round $r off: $off"
  echo "round $r on:  $on"
  echo "$r $(echo "$off" | awk -F'|' '{gsub(/[ ,]/,"");print $5, $12}') $(echo "$on" | awk -F'|' '{gsub(/[ ,]/,"");print $5, $12}')" \
    >>"$out/rounds"
done
echo
echo "| round | off: Checks/s, sidecar CPU µs/Check | on: Checks/s, sidecar CPU µs/Check | on ÷ off (Checks/s) |"
echo "|---:|---|---|---:|"
awk '{printf "| %d | %s, %s | %s, %s | %.2f |\n", $1, $2, $3, $4, $5, $4 / $2}' "$out/rounds"
awk '{print $4 / $2}' "$out/rounds" | sort -g | awk '{a[NR]=$1} END {printf "median on ÷ off: %.2f\n", NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
awk '{print $5 - $3}' "$out/rounds" | sort -g | awk '{a[NR]=$1} END {printf "median extra sidecar CPU per Check: %.1f µs\n", NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
