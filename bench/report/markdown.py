"""Markdown building blocks shared by the report sections.

The number formats live in bench.formats and the Markdown blocks in bench.markdown_blocks
(shared with the terminal, compare and the diagnosis); re-exported here for the report modules."""
from __future__ import annotations

from ..formats import (fmt_bytes, fmt_ci, fmt_int, fmt_num, fmt_pct, fmt_ratio,  # noqa: F401
                       fmt_s, fmt_value, fmt_x, fmt_x_ci, is_missing)
from ..markdown_blocks import EMULATED_LABEL, cell, flatten, key_value_table, table  # noqa: F401
