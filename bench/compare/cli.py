"""`python -m bench compare BASE NEW [--threshold T] [--format F]`: exit 0 without a
regression, 1 with one, 2 on bad input."""
from __future__ import annotations

from .comparison import compare_folders
from .render import FORMATS
from .threshold import DEFAULT_THRESHOLD, parse_threshold


def add_parser(sub):
    p = sub.add_parser(
        "compare", help="compare two runs: slower / faster / no significant change, and why",
        description="Match configurations of two runs by their settings and say, for each, "
                    "whether fmin got slower (interval of the wall-time ratio excludes 1 and "
                    "the change exceeds the threshold). Exit 0: no regression, 1: regression, "
                    "2: bad input.")
    p.add_argument("base", help="baseline results folder")
    p.add_argument("new", help="candidate results folder")
    p.add_argument("--threshold", default=DEFAULT_THRESHOLD,
                   help="smallest change that counts: 10%%, median:10%% or median:SECONDS "
                        "(default %(default)s)")
    p.add_argument("--format", default="text", choices=sorted(FORMATS))
    return p


def run(args) -> int:
    threshold = parse_threshold(args.threshold)
    result = compare_folders(args.base, args.new, threshold)
    print(FORMATS[args.format](result))
    return result.exit_code
