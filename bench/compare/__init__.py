"""`python -m bench compare BASE NEW`: did tuning get slower between two runs, and why?

Configurations are matched by their settings (every axis of bench.keys), never by cell-id
strings. For each one the verdict follows asv's rule with an exact rank test: a change counts
only when the rank (Mann–Whitney) interval of the wall-time ratio excludes 1 *and* the change
exceeds the threshold; a configuration whose times fall in two modes is unstable (cannot
judge), one with failed trials or cells cut short is not comparable. The per-trial objective
time and SparkTrials' fixed overhead on both sides say which of the two moved, and each
side's load (other processes' busy cores) stands beside the verdict.

One module per idea, in the order they build on each other: `threshold` (the 'median:10%'
language), `pairing` (a run's configurations keyed by settings; paired only where both sides
shared blocks), `verdicts` (the rule, stability and the attribution), `differences` (the
setups' facts that differ), `comparison` (two runs -> rows and the exit code), `render`
(text, Markdown, JSON) and `cli` (the command).
"""
from .cli import add_parser, run
from .comparison import (EXIT_BAD_INPUT, EXIT_NOT_COMPARABLE, EXIT_OK, EXIT_REGRESSION,
                         Comparison, Row, compare_folders, compare_runs)
from .differences import environment_differences, environment_facts
from .pairing import Side, config_key, ratio_of, run_sides, wall_ratio
from .render import FORMATS, format_json, format_markdown, format_text
from .threshold import DEFAULT_THRESHOLD, Threshold, parse_threshold
from .verdicts import (FASTER, INDICATIVE, INDICATIVE_BOUND, LOAD_GAP_CORES, NOT_COMPARABLE,
                       SAME, SLOWER, UNSTABLE, attribute, judge, load_note, verdict)

__all__ = ["DEFAULT_THRESHOLD", "EXIT_BAD_INPUT", "EXIT_NOT_COMPARABLE", "EXIT_OK",
           "EXIT_REGRESSION", "FASTER", "FORMATS", "INDICATIVE", "INDICATIVE_BOUND",
           "LOAD_GAP_CORES", "NOT_COMPARABLE", "SAME", "SLOWER", "UNSTABLE", "Comparison",
           "Row", "Side", "Threshold", "add_parser", "attribute", "compare_folders",
           "compare_runs", "config_key", "environment_differences", "environment_facts",
           "format_json", "format_markdown", "format_text", "judge", "load_note",
           "parse_threshold", "ratio_of", "run", "run_sides", "verdict", "wall_ratio"]
