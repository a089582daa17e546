#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md and leaves the raw outputs in bench/results/.
# About fifteen minutes on a 2-core machine (the forecasting part is bench/forecasting.sh). Charts go to docs/img/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out"
dotnet build bench/Shardcast.Bench -c Release
run() { dotnet bench/Shardcast.Bench/bin/Release/net10.0/Shardcast.Bench.dll "$@"; }
run throughput --seconds 3 | tee "$out/throughput.md"
run quality 10k/100/12/2 100k/1000/12/4 --seconds 60 | tee "$out/quality.md"
run objectives 10k/100/12/2 100k/1000/12/4 --seconds 5 | tee "$out/objectives.md"
run --filter '*DeltaBenchmarks*' --job short --exporters github | tee "$out/delta-benchmarks.txt"
bench/forecasting.sh
bench/protocol.sh
