"""`screener batch`: screen many papers (folders, arXiv bulk tars, arXiv metadata snapshots).

The package is split by role:
- inputs.py   what is read, as streams, keyed by sha256 before any parsing;
- run.py      the driver: skip-check, the results store (its only writer), progress, summary;
- worker.py   one paper on a worker (pipeline unchanged), the per-paper time limit;
- local.py    the local engine (a process pool; threads for the LLM extractor);
- ray_engine.py  the Ray engine (optional extra `screener[ray]`);
- exports.py  results.parquet/.csv/.jsonl, and the Parquet shards Ray results arrive in;
- command.py  the command line.
"""

from screener.batch.command import add_batch_command, configure_batch_parser, main
from screener.batch.inputs import Filters, arxiv_facts_from_name, metadata_document
from screener.batch.run import BatchOptions, BatchSummary, run_batch
from screener.batch.worker import row_from_record

__all__ = [
    "BatchOptions",
    "BatchSummary",
    "Filters",
    "add_batch_command",
    "arxiv_facts_from_name",
    "configure_batch_parser",
    "main",
    "metadata_document",
    "row_from_record",
    "run_batch",
]
