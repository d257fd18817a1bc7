#!/usr/bin/env bash
# The A/B gate's check under a random background load (README "A/B runs"): ROUNDS rounds,
# each under docs/ci/background_load.py (seeded by the round), of
#   same-ab  run --ab current,current                      (no change: any "slower" is false)
#   slow-ab  run --ab current,scenarios/ab_sleep_slower.py (B's objective 25% longer)
#   sep-*    the same two checks as separate runs: base, same (compare base same), slow
#            (compare base slow), for contrast
# then `python docs/ci/ab_summary.py OUT` counts the verdicts. The separate runs are made in
# the first CONTRAST rounds only (default: every round); a round is not started after
# STOP_AT (epoch seconds; default: no limit).
#
#   docs/ci/ab_check.sh OUT ROUNDS
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?out folder}; ROUNDS=${2:-5}
PY=${PY:-.venv/bin/python}
STOP_AT=${STOP_AT:-0}
CONTRAST=${CONTRAST:-$ROUNDS}
SCN=${SCN:-scenarios/ab_sleep.py}
SLOW=${SLOW:-scenarios/ab_sleep_slower.py}
mkdir -p "$OUT"

one() {  # one NAME ARGS...: a run into OUT/NAME-ROUND, its folder's path on stdout
  local name=$1; shift
  $PY -m bench run "$@" --quiet --results-dir "$OUT/$name-$round" | tail -1
}

for round in $(seq 1 "$ROUNDS"); do
  if [ "$STOP_AT" -gt 0 ] && [ "$(date +%s)" -ge "$STOP_AT" ]; then
    echo "round $round not started: past STOP_AT" >&2; break
  fi
  $PY docs/ci/background_load.py "$round" "$OUT/load-$round.jsonl" & load=$!
  same=$(one same-ab "$SCN" --ab current,current)
  $PY -m bench compare "$same" --format json > "$OUT/same-ab-$round.json"
  slow=$(one slow-ab "$SCN" --ab "current,$SLOW")
  $PY -m bench compare "$slow" --format json > "$OUT/slow-ab-$round.json"
  if [ "$round" -le "$CONTRAST" ]; then
    base=$(one sep-base "$SCN"); new=$(one sep-same "$SCN")
    $PY -m bench compare "$base" "$new" --format json > "$OUT/same-sep-$round.json"
    new=$(one sep-slow "$SLOW")
    $PY -m bench compare "$base" "$new" --format json > "$OUT/slow-sep-$round.json"
  fi
  kill "$load"; wait "$load"
  echo "round $round done $(date -u +%H:%M:%S)" >&2
done
$PY docs/ci/ab_summary.py "$OUT"
