"""`python -m bench compare BASE NEW [--threshold T] [--format F] [--allow-incomparable]
[--fail-on-unstable]`: exit 0 without a regression, 1 with one, 2 on bad input, 3 when
something could not be compared (comparison.py says what)."""
from __future__ import annotations

from .comparison import compare_folders
from .render import FORMATS
from .threshold import DEFAULT_THRESHOLD, parse_threshold


def add_parser(sub):
    p = sub.add_parser(
        "compare", help="compare two runs: slower / faster / no significant change, and why",
        description="Match configurations of two runs by their settings and say, for each, "
                    "whether fmin got slower (the rank interval of the wall-time ratio "
                    "excludes 1 and the change exceeds the threshold). Exit 0: no "
                    "regression, 1: regression, 2: bad input, 3: not comparable (failed "
                    "trials, failed, incomplete or missing cells on either side, or a "
                    "configuration in one run only).")
    p.add_argument("base", help="baseline results folder")
    p.add_argument("new", help="candidate results folder")
    p.add_argument("--threshold", default=DEFAULT_THRESHOLD,
                   help="smallest change that counts: 10%%, median:10%% or median:SECONDS "
                        "(default %(default)s)")
    p.add_argument("--format", default="text", choices=sorted(FORMATS))
    p.add_argument("--allow-incomparable", action="store_true",
                   help="list configurations that cannot be compared without failing (exit "
                        "0 or 1 instead of 3)")
    p.add_argument("--fail-on-unstable", action="store_true",
                   help="exit 3 when a configuration is unstable (two modes: cannot judge); "
                        "by default unstable configurations are listed only")
    return p


def run(args) -> int:
    threshold = parse_threshold(args.threshold)
    result = compare_folders(args.base, args.new, threshold,
                             allow_incomparable=args.allow_incomparable,
                             fail_on_unstable=args.fail_on_unstable)
    print(FORMATS[args.format](result))
    return result.exit_code
