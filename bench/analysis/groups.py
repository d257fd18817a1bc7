"""Per-configuration tables: one row per configuration of settings (GROUP_COLS), labelled with
its `setting` text and `setting_order`, sorted the same way everywhere, so the analysis'
tables line up row for row and an empty run still gives every column."""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from .. import keys
from .frames import GROUP_COLS

#: The label and position every per-configuration row carries (bench.keys).
SETTING_COLS = keys.SETTING_COLS
#: The leading columns of a per-configuration table.
CONFIG_COLS = keys.LABELLED
#: The order of a per-configuration table's rows.
CONFIG_ORDER = keys.ORDER


def configurations(frame: pd.DataFrame, keys: list[str] = GROUP_COLS
                   ) -> Iterator[tuple[dict, pd.DataFrame]]:
    """(settings, rows) per configuration in first-seen order: `settings` holds the key
    columns' values plus the configuration's setting and setting_order."""
    for key, grp in frame.groupby(keys, dropna=False, sort=False):
        yield ({**dict(zip(keys, key)), "setting": grp["setting"].iloc[0],
                "setting_order": grp["setting_order"].iloc[0]}, grp)


def configuration_table(rows: list[dict], columns: list[str], order: list[str] = CONFIG_ORDER
                        ) -> pd.DataFrame:
    """The rows as a frame sorted by `order`; with no row, an empty frame of `columns`."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows).sort_values(order, ignore_index=True)


def aggregate_configurations(frame: pd.DataFrame, keys: list[str] = GROUP_COLS,
                             **named) -> pd.DataFrame:
    """frame.groupby(keys).agg(**named) with each configuration's setting and setting_order,
    the keys as columns again (rows in first-seen order)."""
    return frame.groupby(keys, dropna=False, sort=False).agg(
        setting=("setting", "first"), setting_order=("setting_order", "first"),
        **named).reset_index()
