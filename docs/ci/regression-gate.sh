#!/usr/bin/env bash
# Tuning-speed regression gate, plain shell (what docs/ci/github-actions.yml runs).
#
#   docs/ci/regression-gate.sh [BASE_REF]      (default BASE_REF: origin/main)
#
# Runs the baseline (BASE_REF's code, in a temporary git worktree) and the candidate (this
# checkout) on the same machine, one after the other, with the same venv; then
#   1. python -m bench compare      -> 1 if a configuration got slower, 3 if one could not
#                                      be compared (failed trials, cells cut short or missing)
#   2. the pytest-benchmark gate    -> 1 if the mean SparkTrials wall over 20 rounds is more
#                                      than 15% above the baseline's
# The candidate runs with `bench run --strict`: a failed or incomplete cell exits 3 here
# (the baseline's code may predate --strict; compare finds a broken baseline cell instead).
# Exit 0: no regression; 1: regression; 2: bad input (a run or a tool could not start);
# 3: not comparable. Writes compare.md (for a PR comment).
#
# Error rates (tests/test_gate_false_alarms.py, seeded Monte Carlo; README "Regression
# benchmarks"): at scenarios/regression_gate.py's 24 repeats, compare calls an unchanged
# configuration slower <= 1% of the time and detects a +25% wall change >= 90% of the time,
# under uniform +-20% noise and under the spread measured on the calibration scenario; the
# pytest-benchmark step (20 rounds, mean:15%) meets the same two targets.
set -uo pipefail
cd "$(dirname "$0")/../.."
BASE_REF=${1:-origin/main}
SCENARIO=${SCENARIO:-scenarios/regression_gate.py}
PY=${PY:-.venv/bin/python}
export PYSPARK_PYTHON=$PWD/$PY
OUT=${OUT:-results/gate}
rm -rf "$OUT" && mkdir -p "$OUT"

base_tree=$(mktemp -d)/base
git worktree add --detach "$base_tree" "$BASE_REF" >/dev/null || exit 2
trap 'git worktree remove --force "$base_tree"' EXIT

# run_side NAME CODE [OPTION...]: one run of the scenario with CODE's bench (a checkout on
# PYTHONPATH, or "" for this one); exits 3 when a cell failed or was incomplete (with
# --strict), 2 when the run could not be made at all
run_side() {
  local name=$1 code=$2; shift 2
  if [ -n "$code" ]; then
    PYTHONPATH=$code $PY -m bench run "$SCENARIO" --quiet --results-dir "$OUT/$name" "$@"
  else
    $PY -m bench run "$SCENARIO" --quiet --results-dir "$OUT/$name" "$@"
  fi
  local rc=$?
  [ "$rc" -eq 3 ] && { echo "$name run: a cell failed or was incomplete" >&2; exit 3; }
  [ "$rc" -ne 0 ] && exit 2
  return 0
}

# (a) two runs of the same scenario: baseline code, then candidate code
run_side base "$base_tree"
run_side new "" --strict
$PY -m bench compare "$OUT"/base/* "$OUT"/new/* --threshold median:10% --format markdown \
  | tee compare.md
compare_rc=${PIPESTATUS[0]}

# (c) the pytest-benchmark gate: baseline saved, candidate compared
STORE=$PWD/$OUT/benchmarks
(cd "$base_tree" && PYTHONPATH=$base_tree $OLDPWD/$PY -m pytest -q \
   "$OLDPWD/docs/ci/test_tuning_gate.py" --benchmark-autosave --benchmark-storage="$STORE") \
   || exit 2
$PY -m pytest -q docs/ci/test_tuning_gate.py --benchmark-storage="$STORE" \
  --benchmark-compare --benchmark-compare-fail=mean:15%
gate_rc=$?

[ "$compare_rc" -eq 2 ] && exit 2
[ "$compare_rc" -eq 3 ] && exit 3
[ "$compare_rc" -ne 0 ] || [ "$gate_rc" -ne 0 ] && exit 1
exit 0
