#!/usr/bin/env bash
# Tuning-speed regression gate, plain shell (what docs/ci/github-actions.yml runs).
#
#   docs/ci/regression-gate.sh [BASE_REF]      (default BASE_REF: origin/main)
#
# Runs the baseline (BASE_REF's code, in a temporary git worktree) and the candidate (this
# checkout) on the same machine, one after the other, with the same venv; then
#   1. python -m bench compare      -> exit 1 if a configuration got slower
#   2. the pytest-benchmark gate    -> exit 1 if median SparkTrials wall regressed > 10%
# Exit 0: no regression; 1: regression; 2: bad input. Writes compare.md (for a PR comment).
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

# (a) two runs of the same scenario: baseline code, then candidate code
PYTHONPATH=$base_tree $PY -m bench run "$SCENARIO" --quiet --results-dir "$OUT/base" || exit 2
$PY -m bench run "$SCENARIO" --quiet --results-dir "$OUT/new" || exit 2
$PY -m bench compare "$OUT"/base/* "$OUT"/new/* --threshold median:10% --format markdown \
  | tee compare.md
compare_rc=${PIPESTATUS[0]}

# (c) the pytest-benchmark gate: baseline saved, candidate compared
STORE=$PWD/$OUT/benchmarks
(cd "$base_tree" && PYTHONPATH=$base_tree $OLDPWD/$PY -m pytest -q \
   "$OLDPWD/docs/ci/test_tuning_gate.py" --benchmark-autosave --benchmark-storage="$STORE") \
   || exit 2
$PY -m pytest -q docs/ci/test_tuning_gate.py --benchmark-storage="$STORE" \
  --benchmark-compare --benchmark-compare-fail=median:10%
gate_rc=$?

[ "$compare_rc" -eq 2 ] && exit 2
[ "$compare_rc" -ne 0 ] || [ "$gate_rc" -ne 0 ] && exit 1
exit 0
