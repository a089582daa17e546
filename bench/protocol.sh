#!/usr/bin/env bash
# The socket protocol's figures of docs/benchmarks.md: codec throughput, and evaluate requests/s and latency
# against `shardcast serve` run as its own process on loopback. Raw outputs in bench/results/protocol/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/protocol
mkdir -p "$out"
dotnet build host/Shardcast.Host -c Release
dotnet build bench/Shardcast.Bench -c Release
bench() { dotnet bench/Shardcast.Bench/bin/Release/net10.0/Shardcast.Bench.dll "$@"; }
bench codec --seconds 3 | tee "$out/codec.md"
port=7499
dotnet host/Shardcast.Host/bin/Release/net10.0/shardcast.dll serve --listen "127.0.0.1:$port" > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2> /dev/null || true' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2> /dev/null && break; sleep 0.2; done
bench evaluate-load --port "$port" --clients 1,16,64 --seconds 5 | tee "$out/evaluate-load.md"
