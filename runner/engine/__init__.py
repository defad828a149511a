"""The engine: turns a validated graph and its input files into results, a record and events."""

from lamella.runner.engine._engine import Engine, EventSink, log_tail
from lamella.runner.engine._items import RunItem, batch_items, single_item
from lamella.runner.engine._jobs import Job
from lamella.runner.engine._publish import OutputFolder
from lamella.runner.engine._record import RECORD_FILE, build_record, record_text
from lamella.runner.engine._requests import FileDigests, node_failure, run_request

__all__ = [
    "RECORD_FILE",
    "Engine",
    "EventSink",
    "FileDigests",
    "Job",
    "OutputFolder",
    "RunItem",
    "batch_items",
    "build_record",
    "log_tail",
    "node_failure",
    "record_text",
    "run_request",
    "single_item",
]
