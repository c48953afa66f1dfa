"""`screener batch`: the command line of the batch (flags, summary, exit status)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from screener.batch.inputs import Filters, input_kind
from screener.batch.run import ENGINES, BatchOptions, run_batch
from screener.errors import ScreenerError

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(text: str) -> str:
    if not _MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in the form YYYY-MM")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def configure_batch_parser(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="folder of PDFs (recursive), PDF, .tar/.tar.gz of PDFs, or arXiv metadata .jsonl[.gz]",
    )
    command.add_argument("--out", type=Path, required=True, metavar="DIR", help="results folder")
    command.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="worker processes (default: CPU count; with --engine ray, the CPUs of a local Ray)",
    )
    command.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local: a process pool on this machine (default); ray: tasks on a Ray cluster "
        "(pip install 'screener[ray]')",
    )
    command.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="with --engine ray: the cluster to join ('auto', 'ray://host:10001'); "
        "default: start a local Ray",
    )
    command.add_argument(
        "--batch-size",
        type=_positive,
        default=8,
        metavar="N",
        help="with --engine ray: papers per Ray task (default 8)",
    )
    command.add_argument(
        "--paper-timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="a paper taking longer is recorded as failed and its worker replaced "
        "(or SCREENER_PAPER_TIMEOUT_S; default 300)",
    )
    from screener.cli import add_backend_options

    # --parser, --extractor, --grobid-url, and the LLM flags (--model, ..., --llm-concurrency)
    add_backend_options(command)
    command.add_argument(
        "--retry-failed", action="store_true", help="screen again the papers that failed before"
    )
    command.add_argument(
        "--categories",
        default=None,
        metavar="CATS",
        help="comma-separated arXiv categories, e.g. cs.LG,cs.CL (any match keeps a paper)",
    )
    command.add_argument("--since", type=_month, default=None, metavar="YYYY-MM")
    command.add_argument("--until", type=_month, default=None, metavar="YYYY-MM")
    command.add_argument(
        "--limit", type=_positive, default=None, help="take at most N papers from the inputs"
    )
    command.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: only on a terminal)",
    )
    return command


def add_batch_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `batch` on the CLI's subparsers; the handler is `args.handler(args)`."""
    command = subparsers.add_parser(
        "batch",
        help="screen many papers into a resumable results folder",
        description="Screen folders of PDFs, arXiv bulk tars and arXiv metadata snapshots into "
        "DIR/results.sqlite, then export results.parquet, results.csv and results.jsonl. "
        "A re-run skips papers already screened. --engine ray runs the papers on a Ray cluster.",
    )
    configure_batch_parser(command)
    command.set_defaults(handler=run_batch_command)
    return command


def options_from_args(
    args: argparse.Namespace, backends: dict[str, dict[str, str]] | None = None
) -> BatchOptions:
    from screener.cli import settings_from_args

    settings = settings_from_args(args)
    if args.paper_timeout is not None:
        settings = settings.model_copy(update={"paper_timeout_s": args.paper_timeout})
    categories = frozenset(c.strip() for c in (args.categories or "").split(",") if c.strip())
    if args.since and args.until and args.since > args.until:
        raise ScreenerError(f"--since {args.since} is after --until {args.until}")
    if args.ray_address and args.engine != "ray":
        raise ScreenerError("--ray-address needs --engine ray")
    return BatchOptions(
        inputs=list(args.inputs),
        out=args.out,
        parser=settings.parser,
        extractor=settings.extractor,
        workers=args.workers or os.cpu_count() or 1,
        llm_concurrency=args.llm_concurrency or 4,
        retry_failed=args.retry_failed,
        filters=Filters(categories=categories, since=args.since, until=args.until),
        limit=args.limit,
        progress=args.progress,
        settings=settings,
        backends=backends or {},
        engine=args.engine,
        ray_address=args.ray_address,
        batch_size=args.batch_size,
    )


def run_batch_command(
    args: argparse.Namespace, backends: dict[str, dict[str, str]] | None = None
) -> int:
    """Run a batch; 0 when it completed (failed papers are rows), 2 on bad input, 130 on ^C."""
    try:
        options = options_from_args(args, backends)
        if options.filters.categories and any(
            input_kind(p) in ("folder", "pdf", "tar") for p in options.inputs
        ):
            print(
                "note: --categories only filters papers whose categories are known "
                "(metadata records, old-style arXiv file names); other PDFs are kept",
                file=sys.stderr,
            )

        def announce(workers: int, kind: str) -> None:
            print(f"screening into {options.out} with {workers} worker {kind}", file=sys.stderr)

        summary = run_batch(options, on_start=announce)
    except ScreenerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary.lines():
        print(line)
    print(f"results: {options.out}/results.parquet, results.csv, results.jsonl")
    return 130 if summary.interrupted else 0


def main(
    argv: Sequence[str] | None = None, backends: dict[str, dict[str, str]] | None = None
) -> int:
    """`python -m screener.batch ...` (the same flags as `screener batch`)."""
    parser = configure_batch_parser(
        argparse.ArgumentParser(prog="screener batch", description="Screen many papers.")
    )
    return run_batch_command(parser.parse_args(argv), backends)
