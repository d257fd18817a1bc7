"""Count the verdicts of docs/ci/ab_check.sh's comparisons, per check and configuration.

    python docs/ci/ab_summary.py OUT
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def _x(value) -> str:
    return "?" if value is None else f"{value:.3f}"


def summary(out: Path) -> list[str]:
    lines = []
    for check in ("same-ab", "slow-ab", "same-sep", "slow-sep"):
        files = sorted(out.glob(f"{check}-*.json"))
        verdicts: dict[str, Counter] = {}
        for f in files:
            try:
                data = json.loads(f.read_text())
            except ValueError:
                lines.append(f"{check}: {f.name}: no comparison (the run failed)")
                continue
            for row in data["configurations"]:
                what = row["verdict"] + (f" ({row['cause']})" if row["verdict"] == "slower" else "")
                verdicts.setdefault(row["label"], Counter())[what] += 1
                lines.append(f"{check} {f.stem.rsplit('-', 1)[1]} {row['label']}: "
                             f"{row['verdict']} {_x(row['ratio'])}x "
                             f"[{_x(row['ratio_low'])}, {_x(row['ratio_high'])}] n={row['ratio_n']}"
                             f" cause={row['cause']} | {row['load_note'] or '-'}")
        for label, counts in verdicts.items():
            lines.append(f"== {check} {label}: {dict(counts)} over {len(files)} run(s)")
    return lines


if __name__ == "__main__":
    print("\n".join(summary(Path(sys.argv[1]))))
