"""Spark event logs, read: where a run's logs are and their lines (files), and their events
as one record per task and per executor (records).

Joining the task records to hyperopt's trials, and writing them into a run folder, is
bench.ingest's job.
"""
from .files import INPROGRESS, ROLLING_PREFIX, find_eventlogs  # noqa: F401
from .records import (EXECUTOR_FIELDS, RECORD_FIELDS, WANTED_EVENTS, EventLog,  # noqa: F401
                      as_record, executor_records, getting_result_ms, read_eventlog,
                      scheduler_delay_ms, task_record)
