"""What calibration keys its measurements by: one objective the model simulates (ClassKey:
workload, thread setting, thread environment) and one measured configuration (bench.keys'
configuration, variant included)."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from .. import keys
from ..analysis import RunData

STOCK = "stock"
#: Columns naming one measured configuration (bench.keys): they carry the variant ("stock"
#: for unmodified spark cells) and the thread environment.
CONFIG_COLS = keys.CONFIG
#: Columns naming one objective the model simulates: the workload, the model's thread
#: setting and the thread environment the harness set for the cell (bench.keys' env_label:
#: '' as inherited, e.g. 'OMP_WAIT_POLICY=passive'); the wait policy alone can change how
#: fast the same model runs on shared cores.
CLASS_COLS = keys.OBJECTIVE


class ClassKey(NamedTuple):
    """One objective (the values of CLASS_COLS): what its measured inputs are keyed by."""

    workload: str
    n_jobs: str
    env: str = ""

    @classmethod
    def of(cls, row) -> "ClassKey":
        """The key of a frame row, a groupby key tuple in CLASS_COLS order, or a mapping."""
        values = (tuple(row[c] for c in CLASS_COLS) if hasattr(row, "keys")
                  else tuple(row) + ("",) * (len(CLASS_COLS) - len(row)))
        return cls(*("" if keys.missing(v) else str(v) for v in values))

    def text(self) -> str:
        env = f" {{{self.env}}}" if self.env else ""
        return f"{self.workload} n_jobs={self.n_jobs}{env}"


# the key of one configuration (a frame row or mapping with CONFIG_COLS), of every row
config_key, config_keys = keys.config_key, keys.config_keys


def without_variant(key: tuple) -> tuple:
    """A configuration key without its variant: the same configuration in every variant."""
    return tuple(v for c, v in zip(CONFIG_COLS, key) if c != "variant_label")


def config_ids(trials: pd.DataFrame, cells: pd.DataFrame) -> tuple[pd.Series, pd.Series, dict]:
    """One integer per configuration for trials and cells, and key tuple -> integer."""
    ids: dict = {}
    out = []
    for df in (cells, trials):
        col = []
        for k in config_keys(df):
            col.append(ids.setdefault(k, len(ids)))
        out.append(pd.Series(col, index=df.index, dtype="int64"))
    return out[1], out[0], ids


def with_variant(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with a `variant` column; records written before variants existed are stock."""
    if "variant" in df.columns:
        return df.assign(variant=df["variant"].fillna(STOCK).astype(str))
    return df.assign(variant=STOCK)


def variants_in(run: RunData) -> list[str]:
    """The SparkTrials variants a run measured."""
    cells = with_variant(run.cells)
    return sorted(set(cells.loc[cells["mode"] == "spark", "variant"]))
