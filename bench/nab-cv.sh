#!/usr/bin/env bash
# Leave-one-category-out cross-validation of `shardcast detect` on NAB-layout data (docs/detect.md, "How the
# defaults were chosen"):
#
#   bench/nab-cv.sh DATA SCORER [WORK]
#
# DATA: category folders of NAB csv files (NAB's data/ or a part of it); SCORER: NAB's scorer wrapper, a score.py
# taking --results --detector --data and printing a JSON line {detector: standard score} last (the one used here
# is NAB's own scoring code cut to a file list). WORK: scratch folder (default: a temporary one).
#
# Every setting in the grid below scores every file once. For each category held out, the setting with the best
# NAB score on the other categories is chosen, and only then scored on the held-out category, beside the
# published detectors on the same files. The default is the setting chosen most often (ties: best mean training
# score). Needs python3 with pandas (Debian's python3-pandas) for the scorer. About 5 minutes on 2 cores.
set -euo pipefail
DATA=$(realpath "${1:?usage: bench/nab-cv.sh DATA SCORER [WORK]}")
SCORER=$(realpath "${2:?usage: bench/nab-cv.sh DATA SCORER [WORK]}")
WORK=${3:-$(mktemp -d)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
mkdir -p "$WORK"
dotnet build "$ROOT/host/Shardcast.Host" -c Release -v quiet -nologo > /dev/null
CLI=(dotnet "$ROOT/host/Shardcast.Host/bin/Release/net10.0/shardcast.dll")

# context length, short window, long window, hold-off, novelty cap
GRID=(
  "8 2 1000 150 2" "4 2 1000 150 2" "16 2 1000 150 2"
  "8 5 1000 150 2" "8 2 1000 75 2" "8 2 1000 300 2"
  "8 2 1000 150 1.25" "8 2 1000 150 5"
)
mapfile -t CATEGORIES < <(find "$DATA" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
[ "${#CATEGORIES[@]}" -ge 2 ] || { echo "need at least two category folders under $DATA" >&2; exit 2; }

# Folder views: one category alone, and all but one.
for c in "${CATEGORIES[@]}"; do
  mkdir -p "$WORK/view/only-$c" "$WORK/view/without-$c"
  ln -sfn "$DATA/$c" "$WORK/view/only-$c/$c"
  for d in "${CATEGORIES[@]}"; do [ "$d" != "$c" ] && ln -sfn "$DATA/$d" "$WORK/view/without-$c/$d"; done
done

score() { # results-dir name data-dir -> the detector's standard score
  "$PYTHON" "$SCORER" --results "$1" --detector "$2" --data "$3" | tail -1
}

: > "$WORK/scores.tsv"
for i in "${!GRID[@]}"; do
  read -r m s l h cap <<< "${GRID[$i]}"
  name="g$i"
  echo "setting $name: --context $m --short-window $s --long-window $l --hold-off $h --novelty-cap $cap" >&2
  "${CLI[@]}" detect --data "$DATA" --out "$WORK/results/$name" --detector "$name" \
    --context "$m" --short-window "$s" --long-window "$l" --hold-off "$h" --novelty-cap "$cap" > /dev/null 2> "$WORK/detect-$name.log"
  for c in "${CATEGORIES[@]}"; do
    train=$(score "$WORK/results/$name" "$name" "$WORK/view/without-$c")
    held=$(score "$WORK/results/$name" "$name" "$WORK/view/only-$c")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "${GRID[$i]}" "$c" "$train" "$held" >> "$WORK/scores.tsv"
  done
done

"$PYTHON" - "$WORK/scores.tsv" <<'EOF'
import json, sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by_fold = collections.defaultdict(list)
for name, setting, cat, train, held in rows:
    by_fold[cat].append((name, setting, json.loads(train), json.loads(held)))
print("| held-out category | setting chosen on the others (context short long hold-off cap) | its score on the others | held out: shardcast | numenta HTM | ARTime | windowed Gaussian |")
print("|---|---|---|---|---|---|---|")
chosen = collections.Counter()
mean_train = collections.defaultdict(list)
for cat, entries in sorted(by_fold.items()):
    for name, setting, train, held in entries:
        mean_train[setting].append(train[name])
    name, setting, train, held = max(entries, key=lambda e: e[2][e[0]])
    chosen[setting] += 1
    print("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |" % (cat, setting, train[name], held[name], held["numenta"], held["ARTime"], held["windowedGaussian"]))
best = max(chosen, key=lambda s: (chosen[s], sum(mean_train[s]) / len(mean_train[s])))
print("\ndefault (chosen most often, ties by mean training score): context short long hold-off cap = %s" % best)
EOF
echo "scores per setting and fold: $WORK/scores.tsv" >&2
