"""The results schema as Markdown (`python -m bench schema`), generated from the record types
of bench.model, where every field is documented once."""
from __future__ import annotations

import dataclasses

from .model import (DERIVED_TRIAL_COLUMNS, SCHEMA_HISTORY, SCHEMA_VERSION, CellRecord, Manifest,
                    SparkExecutorRecord, SparkTaskRecord, TrialRecord)


def schema_markdown() -> str:
    """The results schema as Markdown, generated from bench.model's record types."""
    out = [f"# Results schema (version {SCHEMA_VERSION})", ""]
    for title, rtype in (("manifest.json", Manifest), ("trials.jsonl", TrialRecord),
                         ("cells.jsonl", CellRecord), ("spark_tasks.jsonl", SparkTaskRecord),
                         ("spark_executors.jsonl", SparkExecutorRecord)):
        doc = " ".join(rtype.__doc__.split())
        out += [f"## {title}: {doc}", "", "| field | meaning |", "| --- | --- |"]
        for f in dataclasses.fields(rtype):
            required = " (required)" if f.metadata.get("required") else ""
            out.append(f"| `{f.name}` | {f.metadata.get('doc', '')}{required} |")
        if rtype is TrialRecord:
            out += [f"| `{name}` | Derived on read, not stored: {doc} |"
                    for name, doc in DERIVED_TRIAL_COLUMNS.items()]
        out.append("")
    out += ["## Version history", ""]
    out += [f"- **{version}**: {text}" for version, text in SCHEMA_HISTORY.items()]
    return "\n".join(out)
