"""The one grammar of a finding's id: its rule, then the configuration it is about.

An id is stable across runs and reads as words joined by ':', in one fixed order:

    rule : workload : mode : p{parallelism} : q{max_queue_len} : cluster : variant :
    nj{n_jobs} : e{max_evals} : condition : KEY=value ...

e.g. `oversubscription:lgbm:serial:nj0:busy_driver_2022:OMP_WAIT_POLICY=passive` or
`spin-wait-collapse:lgbm:spark:p2:1x2:nj2:native`. A token is written only when the
configuration holds its axis (a rule that pools the queue length or the evaluation count
leaves them out) and it says something: no parallelism for serial, no cluster for the run's
own session, no variant for stock, no environment tokens for the inherited environment.
No braces, no spaces, and every `=` of the thread environment kept.
"""
from __future__ import annotations

import re
from typing import Mapping

from ..keys import missing
from ..variant_table import DEFAULT_VARIANT

#: what a token may not hold: the separator's neighbours people misread, and spaces
_UNSAFE = re.compile(r"[\s{}]+")


def _token(value) -> str:
    return _UNSAFE.sub("_", str(value)).strip("_")


def _whole(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(value)


def _has(cfg: Mapping, axis: str) -> bool:
    return axis in cfg and not missing(cfg[axis])


def env_tokens(env_label: str) -> list[str]:
    """'A=1,B=2' (keys.env_label) -> ['A=1', 'B=2']; the inherited environment gives none."""
    return [_token(part) for part in str(env_label or "").split(",") if part.strip()]


def finding_id(rule: str, cfg: Mapping | None = None) -> str:
    """The id of a finding of `rule` about the configuration `cfg` ({column: value} over the
    analysis' setting columns, keys.CONFIG; the axes the rule pooled left out)."""
    cfg = cfg or {}
    parts = [rule]
    for axis in ("workload", "mode"):
        if _has(cfg, axis):
            parts.append(cfg[axis])
    if cfg.get("mode") != "serial":
        if _has(cfg, "parallelism"):
            parts.append(f"p{_whole(cfg['parallelism'])}")
        if _has(cfg, "max_queue_len"):
            parts.append(f"q{_whole(cfg['max_queue_len'])}")
    if _has(cfg, "cluster_label") and cfg["cluster_label"]:
        parts.append(str(cfg["cluster_label"]).lstrip("@"))
    if _has(cfg, "variant_label") and cfg["variant_label"] not in ("", DEFAULT_VARIANT):
        parts.append(cfg["variant_label"])
    if _has(cfg, "n_jobs_label"):
        parts.append(f"nj{cfg['n_jobs_label']}")
    if _has(cfg, "max_evals"):
        parts.append(f"e{_whole(cfg['max_evals'])}")
    if _has(cfg, "condition"):
        parts.append(cfg["condition"])
    tokens = [_token(p) for p in parts] + env_tokens(cfg.get("env_label", ""))
    return ":".join(t for t in tokens if t)
