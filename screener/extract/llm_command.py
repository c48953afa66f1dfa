"""CLI handlers for the LLM extractor: `screener llm-log` and `screener llm-batch export|import`.

`add_llm_commands(subparsers)` registers both commands on the CLI's argparse subparsers; each
sets `handler` to a function `(args) -> exit code`. `add_llm_options(parser)` adds the flags that
choose and tune the LLM (also meant for `screen` and `batch`), and `llm_overrides(args)` turns
them into keyword overrides for `LLMExtractor.from_settings(settings, **overrides)`.
Exit codes: 0 all went well, 1 some papers failed (the rest was done), 2 nothing could be done.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from screener.errors import ScreenerError

_LOG_COLUMNS = (
    "id", "created", "status", "http_status", "model", "attempt", "tokens_in", "tokens_out",
    "cost_usd", "latency_ms", "document_sha256", "error",
)  # fmt: skip


_LOG_FORMAT = "{:>5} {:19} {:10} {:>4} {:20} {:>7} {:>6} {:>9} {:>8}  {}"


def add_llm_options(parser: argparse.ArgumentParser) -> None:
    """Flags that choose and tune the LLM extractor (None = keep settings/env)."""
    group = parser.add_argument_group("LLM extractor")
    group.add_argument("--model", help="model name (env SCREENER_LLM_MODEL)")
    group.add_argument(
        "--prompt",
        help="prompt file name under prompts/ (default extract_design; e.g. extract_design-v1 "
        "to read answers recorded for prompt v1; env SCREENER_LLM_PROMPT)",
    )
    group.add_argument(
        "--base-url",
        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env OPENAI_BASE_URL)",
    )
    group.add_argument(
        "--llm-mode",
        choices=("tools", "json"),
        help="tools (default) or json for servers without tools",
    )
    group.add_argument("--token-budget", type=int, help="input tokens per paper (default 16000)")
    group.add_argument("--temperature", type=float, help="default 0")
    group.add_argument("--llm-timeout", type=float, help="seconds per request (default 120)")
    group.add_argument("--llm-attempts", type=int, help="HTTP attempts per request (default 4)")
    group.add_argument(
        "--llm-concurrency", type=int, help="requests in flight per endpoint (default 4)"
    )
    group.add_argument("--price-in", type=float, help="USD per 1M input tokens (default 0)")
    group.add_argument("--price-out", type=float, help="USD per 1M output tokens (default 0)")


def llm_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword overrides for `LLMExtractor.from_settings` from the flags above."""
    names = {
        "model": "model",
        "prompt": "prompt",
        "base_url": "base_url",
        "llm_mode": "mode",
        "token_budget": "token_budget",
        "temperature": "temperature",
        "llm_timeout": "timeout_s",
        "llm_attempts": "max_attempts",
        "llm_concurrency": "concurrency",
        "price_in": "price_in_per_1m",
        "price_out": "price_out_per_1m",
    }
    return {
        target: getattr(args, flag)
        for flag, target in names.items()
        if getattr(args, flag, None) is not None
    }


def add_llm_commands(subparsers: Any) -> None:
    log = subparsers.add_parser(
        "llm-log", help="list recent LLM calls (request, usage, cost, status)"
    )
    log.add_argument("--limit", type=int, default=20, help="how many calls (default 20)")
    log.add_argument("--json", action="store_true", help="one JSON object per line")
    log.add_argument(
        "--full", action="store_true", help="with --json: include request and response"
    )
    log.set_defaults(handler=run_llm_log)

    batch = subparsers.add_parser(
        "llm-batch", help="OpenAI Batch API: export requests, import results"
    )
    actions = batch.add_subparsers(dest="llm_batch_action", required=True)
    export = actions.add_parser("export", help="write one Batch API request per paper")
    export.add_argument("pdfs", nargs="+", type=Path, help="PDF files")
    export.add_argument("--out", type=Path, required=True, help="requests JSONL to write")
    add_llm_options(export)
    export.set_defaults(handler=run_llm_batch_export)
    imp = actions.add_parser("import", help="validate, ground and cache Batch API results")
    imp.add_argument("results", type=Path, help="results JSONL downloaded from the Batch API")
    imp.add_argument(
        "--pdfs", nargs="*", type=Path, default=[], help="the papers (else where export read them)"
    )
    add_llm_options(imp)
    imp.set_defaults(handler=run_llm_batch_import)


def _settings() -> Any:
    from screener.settings import load_settings

    return load_settings()


def run_llm_log(args: argparse.Namespace) -> int:
    from screener.store import Store

    try:
        rows = Store(_settings().cache_dir).recent_calls(max(1, args.limit))
    except ScreenerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        for row in rows:
            if not args.full:
                row = {k: row[k] for k in _LOG_COLUMNS}
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("no LLM calls logged yet")
        return 0
    header = ("id", "when (UTC)", "status", "http", "model", "in", "out", "$", "ms", "paper")
    print(_LOG_FORMAT.format(*header))
    for row in rows:
        line = _LOG_FORMAT.format(
            row["id"],
            row["created"][:19],
            row["status"],
            row["http_status"] or "-",
            (row["model"] or "")[:20],
            row["tokens_in"] or 0,
            row["tokens_out"] or 0,
            f"{row['cost_usd'] or 0:.5f}",
            f"{row['latency_ms'] or 0:.0f}",
            (row["document_sha256"] or "")[:12],
        )
        print(line + (f"  {row['error'][:60]}" if row["error"] else ""))
    return 0


def _extractor_and_parser(args: argparse.Namespace) -> tuple[Any, Any]:
    from screener.extract.llm import LLMExtractor
    from screener.parse import get_parser

    settings = _settings()
    return LLMExtractor.from_settings(settings, **llm_overrides(args)), get_parser(
        settings.parser, settings
    )


def _print_summary(summary: Any, verb: str) -> int:
    for message in summary.failed:
        print(f"error: {message}", file=sys.stderr)
    print(f"{verb} {summary.written}, skipped {len(summary.skipped)}, failed {len(summary.failed)}")
    return 1 if summary.failed else 0


def run_llm_batch_export(args: argparse.Namespace) -> int:
    from screener.extract.llm_batch import export_batch

    try:
        extractor, parser = _extractor_and_parser(args)
        summary = export_batch(args.pdfs, args.out, extractor, parser)
    except (ScreenerError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if summary.skipped:
        print(f"skipped (already cached or duplicate): {', '.join(summary.skipped)}")
    code = _print_summary(summary, f"wrote {args.out}: requests")
    return 2 if summary.written == 0 and summary.failed else code


def run_llm_batch_import(args: argparse.Namespace) -> int:
    from screener.extract.llm_batch import import_batch

    try:
        extractor, parser = _extractor_and_parser(args)
        summary = import_batch(args.results, extractor, parser, args.pdfs)
    except ScreenerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    code = _print_summary(summary, "cached designs")
    print(
        f"ungrounded designs {summary.ungrounded}; tokens in {summary.tokens_in}, out "
        f"{summary.tokens_out}; cost ${summary.cost_usd:.4f} (batch price)"
    )
    return 2 if summary.written == 0 and summary.failed else code
