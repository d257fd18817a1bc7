"""How hyperopt reads what an objective returns: one home for its rules, so the probe keeps
them exactly (hyperopt.base.Domain.evaluate, the same in hyperopt 0.2.7 and 0.3.0).

- A number (float, int, bool, numpy number) is an ok trial whose loss is float(value): NaN
  and +-inf included (hyperopt counts them ok; its best_trial skips NaN).
- Anything else goes through dict(value): a string, None or an array is rejected there.
- The dict needs 'status' (KeyError otherwise), one of hyperopt's status strings
  (InvalidResultStatus otherwise).
- Status 'ok' needs a 'loss' that float() takes: a numeric string or a bool is converted;
  a missing or None loss raises InvalidLoss, a non-numeric string ValueError.

A rejected value raises what hyperopt raises for it: serial fmin stops with that exception,
SparkTrials records the trial as an error and goes on.

No bench imports here: bench.observe ships this module to executors by value.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
from hyperopt.base import STATUS_OK, STATUS_STRINGS
from hyperopt.exceptions import InvalidLoss, InvalidResultStatus


def is_number(value) -> bool:
    """What hyperopt takes as a bare loss (bool is an int, so it counts)."""
    return isinstance(value, (float, int, np.number))


def read(value) -> dict:
    """hyperopt's result dict for an objective's return value, or the exception hyperopt
    raises for it."""
    if is_number(value):
        return {"loss": float(value), "status": STATUS_OK}
    result = dict(value)
    status = result["status"]
    if status not in STATUS_STRINGS:
        raise InvalidResultStatus(result)
    if status == STATUS_OK:
        try:
            result["loss"] = float(result["loss"])
        except (TypeError, KeyError):
            raise InvalidLoss(result) from None
    return result


def nonfinite(loss) -> Optional[str]:
    """'nan', 'inf' or '-inf' for a loss that is a number but not a finite one; else None."""
    if not isinstance(loss, (float, int, np.number)) or isinstance(loss, bool):
        return None
    loss = float(loss)
    if math.isnan(loss):
        return "nan"
    if math.isinf(loss):
        return "inf" if loss > 0 else "-inf"
    return None


_HINTS = {InvalidResultStatus: "status must be one of " + ", ".join(map(repr, STATUS_STRINGS)),
          InvalidLoss: "status 'ok' needs a 'loss' that float() accepts"}


def rejection(value, exc: BaseException) -> str:
    """One line saying why hyperopt rejects a return value (the trial's error)."""
    shape = getattr(value, "shape", None)
    what = type(value).__name__ + (f" of shape {tuple(shape)}" if shape is not None else "")
    if isinstance(exc, KeyError) and exc.args == ("status",):
        hint = "a result dict needs 'status' ('ok' with a 'loss', or 'fail')"
    elif type(exc) in _HINTS:
        hint = _HINTS[type(exc)]
    elif not isinstance(value, dict):
        hint = "return a number or a dict with 'status' and 'loss'"
    else:
        hint = f"{type(exc).__name__}: {exc}"
    return f"hyperopt rejects the objective's return value, {what} {str(value)[:80]!r}: {hint}"
