#!/usr/bin/env bash
# Leave-one-folder-out cross-validation of the forecasts (docs/benchmarks.md, "Forecasting on folders it has never
# seen"):
#
#   bench/forecast-cv.sh [DATA] [TRAIN_SECONDS] [WORK]
#
# DATA: a folder of category folders of series (default data/nab). For each category in turn, the LSTM is trained
# (`shardcast train`, default settings, at most TRAIN_SECONDS, default 120) on the whole series of the *other*
# categories, and `shardcast backtest` then scores seasonal naive, ETS, that LSTM and auto on the held-out category
# by the backtest protocol of docs/forecasting.md: nothing of the held-out series is seen in training or in any
# choice. Prints one row per held-out category: geometric-mean MASE ratio to seasonal naive per model and auto's
# coverage. About 3 minutes per category on 2 cores at the default budget.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$(realpath "${1:-$ROOT/data/nab}")
SECONDS_PER_FOLD=${2:-120}
WORK=${3:-$(mktemp -d)}
mkdir -p "$WORK"
dotnet build "$ROOT/host/Shardcast.Host" -c Release -v quiet -nologo > /dev/null
CLI=(dotnet "$ROOT/host/Shardcast.Host/bin/Release/net10.0/shardcast.dll")
mapfile -t CATEGORIES < <(find "$DATA" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
[ "${#CATEGORIES[@]}" -ge 2 ] || { echo "need at least two category folders under $DATA" >&2; exit 2; }

for c in "${CATEGORIES[@]}"; do
  others=()
  for d in "${CATEGORIES[@]}"; do [ "$d" != "$c" ] && others+=("$DATA/$d"); done
  echo "fold $c: training on ${others[*]##*/} for at most ${SECONDS_PER_FOLD} s" >&2
  "${CLI[@]}" train --data "${others[@]}" --out "$WORK/lstm-without-$c.bin" --time-s "$SECONDS_PER_FOLD" > /dev/null 2> "$WORK/train-$c.log"
  echo "fold $c: backtesting" >&2
  "${CLI[@]}" backtest --data "$DATA/$c" --model-file "$WORK/lstm-without-$c.bin" --json > "$WORK/backtest-$c.json" 2> "$WORK/backtest-$c.log"
done

python3 - "$WORK" "${CATEGORIES[@]}" <<'EOF'
import json, math, sys
work, cats = sys.argv[1], sys.argv[2:]
print("| held-out category | series | snaive | ETS | LSTM (trained on the others) | auto | auto's coverage | best member | auto vs best member |")
print("|---|---|---|---|---|---|---|---|---|")
for c in cats:
    report = json.load(open("%s/backtest-%s.json" % (work, c)))
    agg = {a["model"]: a for a in report["aggregate"]}
    members = {m: agg[m]["mase_ratio"] for m in ("snaive", "ets", "lstm") if m in agg}
    best = min(members, key=members.get)
    auto = agg["auto"]["mase_ratio"]
    print("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.1f %% | %s | %+.1f %% |" % (
        c, agg["auto"]["series"], agg["snaive"]["mase_ratio"], agg["ets"]["mase_ratio"], agg["lstm"]["mase_ratio"],
        auto, 100 * agg["auto"]["coverage"], best, 100 * (auto / members[best] - 1)))
EOF
echo "models, logs and backtests: $WORK" >&2
