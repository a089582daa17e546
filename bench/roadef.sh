#!/usr/bin/env bash
# ROADEF/EURO 2012 set A with `shardcast roadef` at 10, 60 and 300 s of wall clock per instance (about 62 minutes on
# a 2-core machine): one line per run in bench/results/roadef-A.txt, then the table and the chart
# (docs/img/roadef-a.svg) by tools/roadef_report.py. Usage: bench/roadef.sh [budgets...] (default 10 60 300).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out"
dotnet build host/Shardcast.Host -c Release
shardcast=host/Shardcast.Host/bin/Release/net10.0/shardcast
data=data/roadef2012/A
budgets=("${@:-10 60 300}")
: > "$out/roadef-A.txt"
for t in ${budgets[*]}; do
  for i in a1_1 a1_2 a1_3 a1_4 a1_5 a2_1 a2_2 a2_3 a2_4 a2_5; do
    start=$(date +%s.%N)
    report=$("$shardcast" roadef --model "$data/model_$i.txt" --initial "$data/assignment_$i.txt" \
      --output "$out/solution_${i}_$t.txt" --time-s "$t" --lb "$data/lb_$i.txt" --seed 1)
    end=$(date +%s.%N)
    objective=$(echo "$report" | awk '/^objective/ {print $3}')
    feasible=$(echo "$report" | grep -o 'feasible: [a-z]*')
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
    echo "$t $i $objective | $feasible | process wall $wall s" | tee -a "$out/roadef-A.txt"
  done
done
python3 tools/roadef_report.py "$out/roadef-A.txt" "$data" docs/img/roadef-a.svg
