"""Number formats: one home for how seconds, ratios, shares and counts read, wherever
they are shown (the report, its HTML, the terminal, the findings' evidence)."""
from __future__ import annotations

import json
import math

#: Kinds of interval an estimate carries (bench.analysis.stats.Estimate), and the level of
#: its confidence intervals: how an interval reads is decided here, once.
NO_INTERVAL, RANGE, BOOTSTRAP, PAIRED_BOOTSTRAP = "none", "range", "bootstrap", "paired bootstrap"
#: the distribution-free interval of a rank test (bench.analysis.ranks), independent samples
#: or paired by block
RANK, PAIRED_RANK = "rank", "paired rank"
DEFAULT_LEVEL = 0.95
#: The level of compare's rank intervals: 1% in each tail, so a configuration of two runs
#: of the same code is called slower (the interval above 1) at most 1% of the time.
RANK_LEVEL = 0.98


def interval_label(kind: str, level: float = DEFAULT_LEVEL) -> str:
    """How a report names an interval: 'range', '95% CI', '95% CI, paired', '98% CI, rank',
    '98% CI, paired rank' ('' for none). Rank intervals are always at RANK_LEVEL."""
    pct = f"{level * 100:g}% CI"
    rank = f"{RANK_LEVEL * 100:g}% CI"
    return {RANGE: "range", BOOTSTRAP: pct, PAIRED_BOOTSTRAP: pct + ", paired",
            RANK: rank + ", rank", PAIRED_RANK: rank + ", paired rank"}.get(kind, "")


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and pandas NA
    except (TypeError, ValueError):
        return False


def fmt_num(value, digits: int = 2) -> str:
    """A plain number; '—' for missing."""
    if is_missing(value):
        return "—"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits}f}"


def fmt_s(value) -> str:
    """Seconds with precision that suits the size: 0.004, 0.25, 3.40, 12.3, 154."""
    if is_missing(value):
        return "—"
    value = float(value)
    size = abs(value)
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ci(value, low, high, fmt=fmt_s, suffix: str = "", n=None, kind=None) -> str:
    """'4.00 (95% CI 3.90–4.10, n=8)', '4.00 (range 3.90–4.10, n=3)', '4.00 (n=1)': the value,
    the interval named by its kind (interval_label) and the n behind it. Without a kind
    the interval is shown bare, as before."""
    if is_missing(value):
        return "—"
    text = fmt(value) + suffix
    parts = []
    if not (is_missing(low) or is_missing(high) or (fmt(low) == fmt(value) == fmt(high))):
        label = interval_label(kind) if kind else ""
        parts.append((label + " " if label else "") + f"{fmt(low)}–{fmt(high)}")
    if n is not None and not is_missing(n):
        parts.append(f"n={int(n)}")
    return f"{text} ({', '.join(parts)})" if parts else text


def fmt_ratio(value) -> str:
    """A ratio with never fewer than two significant digits: two decimals from 0.1 up
    ('2.00', '0.17'), two significant digits below ('0.024', '0.0040', '0.00012'), so a
    small ratio never reads as 0.00."""
    if is_missing(value):
        return "—"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if size >= 0.1 or size == 0:
        return f"{value:.2f}"
    decimals = 1 - math.floor(math.log10(size))
    return f"{value:.{decimals}f}"


def fmt_x(value) -> str:
    """A ratio such as a speedup: '2.00×', '0.024×'."""
    return "—" if is_missing(value) else fmt_ratio(value) + "×"


def fmt_x_ci(value, low, high, n=None, kind=None) -> str:
    """A speedup with its interval: '2.00× (95% CI 1.93–2.08, n=5)'."""
    return fmt_ci(value, low, high, fmt_ratio, "×", n, kind)


def fmt_pct(value, digits: int = 0) -> str:
    return "—" if is_missing(value) else f"{100.0 * float(value):.{digits}f}%"


def fmt_int(value) -> str:
    return "—" if is_missing(value) else str(int(value))


def fmt_value(value) -> str:
    """Any manifest value as short text: dicts and lists as compact JSON."""
    if is_missing(value):
        return "—"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def fmt_bytes(value) -> str:
    if is_missing(value):
        return "—"
    return f"{float(value) / 2**30:.1f} GiB"
