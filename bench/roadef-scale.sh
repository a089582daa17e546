#!/usr/bin/env bash
# `shardcast roadef` at set B's sizes, on instances `shardcast roadef-generate` writes in the shapes of b_01, b_04,
# b_05, b_07 and b_10 (processes, machines, resources, services, dependencies, locations and balances as the
# challenge's statistics give them; set B's own models are not distributed here). Per instance and budget: the
# objective, feasibility, the command's own wall clock, the whole process's wall clock and its peak memory, one
# line each in bench/results/roadef-scale.txt. Usage: bench/roadef-scale.sh [budgets...] (default 10 60).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/scale
mkdir -p "$out"
dotnet build host/Shardcast.Host -c Release
shardcast=host/Shardcast.Host/bin/Release/net10.0/shardcast
budgets=("${@:-10 60}")
[ -x /usr/bin/time ] || { echo "bench/roadef-scale.sh needs GNU time: apt-get install time" >&2; exit 1; }
declare -A shape=(
  [b01]="--processes 5000 --machines 100 --resources 12 --transient 2 --locations 10 --multi-services 500 --dependencies 4400 --balances 0"
  [b04]="--processes 20000 --machines 500 --resources 6 --transient 1 --locations 50 --multi-services 1000 --max-service-size 50 --dependencies 40000 --balances 1"
  [b05]="--processes 40000 --machines 100 --resources 6 --transient 1 --locations 10 --multi-services 1000 --dependencies 14500 --balances 0"
  [b07]="--processes 40000 --machines 4000 --resources 6 --transient 1 --locations 50 --multi-services 1000 --max-service-size 50 --dependencies 43000 --balances 1"
  [b10]="--processes 50000 --machines 5000 --resources 3 --transient 1 --locations 100 --multi-services 1000 --max-service-size 100 --dependencies 47000 --balances 1"
)
: > "$out/../roadef-scale.txt"
for i in b01 b04 b05 b07 b10; do
  # shellcheck disable=SC2086
  "$shardcast" roadef-generate ${shape[$i]} --seed 1 --model "$out/model_$i.txt" --initial "$out/init_$i.txt" | sed "s/^/$i: /"
done
for t in ${budgets[*]}; do
  for i in b01 b04 b05 b07 b10; do
    report=$(/usr/bin/time -f "peak %M KB, process wall %e s" -o "$out/time.txt" "$shardcast" roadef --model "$out/model_$i.txt" \
      --initial "$out/init_$i.txt" --output "$out/solution_${i}_$t.txt" --time-s "$t" --seed 1 2>/dev/null)
    initial=$(echo "$report" | awk '/^objective/ {print $2}')
    objective=$(echo "$report" | awk '/^objective/ {print $3}')
    feasible=$(echo "$report" | grep -o 'feasible: [a-z]*')
    wall=$(echo "$report" | grep -o 'wall [0-9.]* s of [0-9.]* s')
    echo "$t $i $initial -> $objective | $feasible | $wall | $(cat "$out/time.txt")" | tee -a "$out/../roadef-scale.txt"
  done
done
