"""`screener eval` and `screener agree`: the gold-set evaluation and label agreement, as commands.

The computations live in screener/evaluate.py and the report writers in
screener/evaluate_report.py; this module only parses flags, calls them and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from screener.errors import ScreenerError
from screener.evaluate import EvalConfig, agreement, evaluate
from screener.evaluate_report import (
    agreement_summary_lines,
    summary_lines,
    write_agreement_reports,
    write_reports,
)


def add_eval_arguments(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of `screener eval` (also used by the checkout script eval/run.py)."""
    from screener.cli import add_backend_options

    command.add_argument(
        "--gold", type=Path, default=Path("gold/labels.jsonl"), help="gold labels (JSON lines)"
    )
    command.add_argument(
        "--pdfs",
        type=Path,
        default=None,
        help="folder with <id>.pdf for each gold paper (default: SCREENER_CORPUS_DIR/pdfs)",
    )
    command.add_argument(
        "--ceiling",
        type=Path,
        help="an independent second annotator's labels for the same papers: the report shows "
        "how often two careful readers agree beside the screener's numbers",
    )
    add_backend_options(command)
    command.add_argument("--json", action="store_true", help="print the result as one JSON object")
    command.add_argument(
        "--out", type=Path, default=Path("eval/results"), help="folder for the reports"
    )
    command.add_argument(
        "--name", help="file stem of the reports (default: <extractor>-<parser>-<date>)"
    )
    command.add_argument(
        "--bootstrap", type=int, default=1000, help="bootstrap resamples (0: no intervals)"
    )
    command.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    command.set_defaults(handler=run_eval_command)
    return command


def add_eval_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `screener eval` and `screener agree` on an argparse subparsers object."""
    command = subparsers.add_parser(
        "eval",
        help="evaluate screenings against the hand-labelled gold set",
        description="Screen every gold paper (PDF at DIR/<id>.pdf) and compare with its label; "
        "write <name>.json/.md/-primary.png into --out.",
    )
    _add_agree(subparsers)
    return add_eval_arguments(command)


def _add_agree(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "agree",
        help="the evaluation's metrics between two label files (how often two readers agree)",
        description="Compare two codebook label files paper by paper with the metrics of "
        "`screener eval`, reading A as the reference and B as the other reader: the human "
        "ceiling for the screener's numbers.",
    )
    command.add_argument("reference", type=Path, metavar="A.jsonl")
    command.add_argument("other", type=Path, metavar="B.jsonl")
    command.add_argument("--out", type=Path, help="also write agree-<name>.json/.md here")
    command.add_argument("--name", help="file stem (default: agree-<A stem>-<B stem>)")
    command.add_argument("--json", action="store_true", help="print the result as one JSON object")
    command.add_argument(
        "--bootstrap", type=int, default=1000, help="bootstrap resamples (0: no intervals)"
    )
    command.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    command.set_defaults(handler=run_agree_command)


def _reported(args: argparse.Namespace, work: Any, summary: Any) -> int:
    """Run `work()` -> (result, written paths) and print it; 0 ok, 2 bad input (one line)."""
    try:
        result, paths = work()
    except ScreenerError as exc:
        print(f"screener: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"screener: {args.out}: cannot write reports ({exc.strerror or exc})", file=sys.stderr
        )
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print("\n".join(summary(result)))
        for path in paths:
            print(f"wrote {path}")
    return 0


def run_eval_command(args: argparse.Namespace) -> int:
    """Run `screener eval`; returns the exit status (0 ok, 2 bad input)."""

    def work() -> tuple[dict[str, Any], list[Path]]:
        from screener.cli import settings_from_args

        settings = settings_from_args(args)
        config = EvalConfig(
            gold=args.gold,
            pdfs=args.pdfs or settings.corpus_dir / "pdfs",
            extractor=settings.extractor,
            parser=settings.parser,
            resamples=max(args.bootstrap, 0),
            seed=args.seed,
            ceiling=args.ceiling,
            name=args.name,
        )
        result = evaluate(config, settings, progress=lambda m: print(m, file=sys.stderr))
        return result, write_reports(result, args.out)

    return _reported(args, work, summary_lines)


def run_agree_command(args: argparse.Namespace) -> int:
    """Run `screener agree`; returns the exit status (0 ok, 2 bad input)."""

    def work() -> tuple[dict[str, Any], list[Path]]:
        result = agreement(args.reference, args.other, max(args.bootstrap, 0), args.seed)
        paths = write_agreement_reports(result, args.out, args.name) if args.out else []
        return result, paths

    return _reported(args, work, agreement_summary_lines)
