"""`python -m bench compare BASE NEW`: did tuning get slower between two runs, and why?

Configurations are matched by their settings (workload, mode, driver condition, parallelism,
queue length, n_jobs, max_evals, cluster shape), never by cell-id strings. For each one the
verdict follows asv's rule: a change counts only when the bootstrap interval of the wall-time
ratio excludes 1 *and* the change exceeds the threshold. The per-trial objective time and
SparkTrials' fixed overhead on both sides say which of the two moved.

One module per idea, in the order they build on each other: `threshold` (the 'median:10%'
language), `pairing` (a run's configurations keyed by settings, repeats paired), `verdicts`
(asv's rule and the attribution), `differences` (the setups' facts that differ),
`comparison` (two runs -> rows), `render` (text, Markdown, JSON) and `cli` (the command).
"""
from .cli import add_parser, run
from .comparison import (EXIT_OK, EXIT_REGRESSION, Comparison, Row, compare_folders,
                         compare_runs)
from .differences import environment_differences, environment_facts
from .pairing import Side, config_key, run_sides, wall_ratio
from .render import FORMATS, format_json, format_markdown, format_text
from .threshold import DEFAULT_THRESHOLD, Threshold, parse_threshold
from .verdicts import (FASTER, INDICATIVE, INDICATIVE_BOUND, NOT_COMPARABLE, SAME, SLOWER,
                      attribute, verdict)

__all__ = ["DEFAULT_THRESHOLD", "EXIT_OK", "EXIT_REGRESSION", "FASTER", "FORMATS",
           "INDICATIVE", "INDICATIVE_BOUND", "NOT_COMPARABLE", "SAME", "SLOWER", "Comparison",
           "Row", "Side", "Threshold", "add_parser", "attribute", "compare_folders",
           "compare_runs", "config_key", "environment_differences", "environment_facts",
           "format_json", "format_markdown", "format_text", "parse_threshold", "run",
           "run_sides", "verdict", "wall_ratio"]
