#!/usr/bin/env bash
# Dependency A/B gate, plain shell: does the pull request's set of pinned packages (a
# hyperopt, PySpark or LightGBM upgrade) make tuning slower than the base branch's pins?
#
#   docs/ci/ab-gate.sh [BASE_REF]      (default BASE_REF: origin/main)
#
# Builds one stack from BASE_REF's pins file and one from this checkout's (PINS, default
# requirements.txt: one pinned package a line, as `pip freeze` writes it), then runs the
# scenario ONCE with the two stacks interleaved cell by cell (`bench run --ab`): each repeat
# block runs every cell on both stacks back to back, so a busy CI runner slows both sides
# of a pair alike. `bench compare RUN` pairs the twins by block, leaves out pairs whose load
# from other processes differed, and gives one verdict per configuration. The same bench
# code (this checkout's) measures both stacks: only the packages differ.
#
# Exit 0: no regression; 1: regression; 2: bad input (a stack or the run could not start);
# 3: not comparable (a failed or incomplete cell). Writes compare.md (for a PR comment).
# Stacks are kept in .stacks/ and rebuilt only when their pins change (cache that folder).
set -uo pipefail
cd "$(dirname "$0")/../.."
BASE_REF=${1:-origin/main}
SCENARIO=${SCENARIO:-scenarios/regression_gate.py}
PINS=${PINS:-requirements.txt}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-results/ab-gate}
rm -rf "$OUT" && mkdir -p "$OUT"

git show "$BASE_REF:$PINS" > "$OUT/base-pins.txt" || { echo "no $PINS at $BASE_REF" >&2; exit 2; }
$PY -m bench stack create ab-base --requirements "$OUT/base-pins.txt" --quiet || exit 2
$PY -m bench stack create ab-candidate --requirements "$PINS" --quiet || exit 2

$PY -m bench run "$SCENARIO" --ab ab-base,ab-candidate --strict --quiet --results-dir "$OUT"
rc=$?
[ "$rc" -eq 3 ] && { echo "A/B run: a cell failed or was incomplete" >&2; exit 3; }
[ "$rc" -ne 0 ] && exit 2

$PY -m bench compare "$OUT"/*-ab-* --threshold median:10% --format markdown | tee compare.md
exit "${PIPESTATUS[0]}"
