#!/usr/bin/env bash
# The forecasting figures of docs/benchmarks.md ("Forecasting"): backtests on NAB (LSTM trained in the run, and
# with the shipped model), training and streaming throughput, the ten-16k-series timing, and the chart.
# About five minutes on a 2-core machine; raw outputs in bench/results/forecasting/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/forecasting
mkdir -p "$out"
dotnet build host/Shardcast.Host -c Release
dotnet build bench/Shardcast.Bench -c Release
host=host/Shardcast.Host/bin/Release/net10.0/shardcast.dll
shardcast() { dotnet "$host" "$@"; }
bench() { dotnet bench/Shardcast.Bench/bin/Release/net10.0/Shardcast.Bench.dll "$@"; }
/usr/bin/time -f "wall %e s, peak RSS %M KiB" dotnet "$host" backtest --data data/nab --emit-forecasts "$out/forecasts" 2> "$out/backtest-nab.log" | tee "$out/backtest-nab.md"
tail -1 "$out/backtest-nab.log"
shardcast backtest --data data/nab --models lstm,auto --model-file models/Shardcast.Models/Neural/Default/lstm-nab.bin | tail -3 | tee "$out/backtest-nab-default-model.md"
bench lstm-train --data data/nab --batches 100 --window 288 | tee "$out/lstm-train.md"
bench lstm-stream --series 100000 --steps 20 | tee "$out/lstm-stream.md"
bench forecast-fleet --series 2000 --length 864 | tee "$out/forecast-fleet.md"
for seed in 2 3; do shardcast backtest --data data/nab --seed "$seed" 2> /dev/null | tail -2 | tee "$out/backtest-nab-seed$seed.md"; done
python3 bench/forecasting/make_long_set.py data/nab "$out/long16k"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" dotnet "$host" backtest --data "$out/long16k" 2> "$out/backtest-long16k.log" | tail -6 | tee "$out/backtest-long16k.md"
tail -1 "$out/backtest-long16k.log"
rm -rf "$out/long16k"
python3 tools/forecast_chart.py data/nab "$out/forecasts" docs/img/forecasts-nab.svg nyc_taxi,ec2_cpu_utilization_5f5533,occupancy_6005,rds_cpu_utilization_e47b3b 16
