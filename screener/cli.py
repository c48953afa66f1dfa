"""The `screener` command: thin, it parses flags, calls the stages and prints.

Every paper's failure is one line on stderr naming the file and the reason; the other
papers of the same command are still screened. The exit status is 1 when any paper failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from screener import __version__
from screener.design import Design
from screener.errors import ScreenerError
from screener.extract import EXTRACTORS
from screener.parse import PARSERS
from screener.settings import Settings, load_settings

# Subcommands that live with their feature: (module, function that adds the subparser).
# Each adder registers its own handler with `parser.set_defaults(handler=...)`.
FEATURE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("screener.parse.command", "add_parse_command"),
    ("screener.extract.llm_command", "add_llm_commands"),
    ("screener.batch", "add_batch_command"),
    ("screener.survey", "add_survey_command"),
    ("screener.evaluate_command", "add_eval_command"),
)


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """Flags that choose and configure the parser and extractor (shared by screen/batch/eval)."""
    parser.add_argument("--parser", choices=sorted(PARSERS), help="PDF parser (default: pymupdf)")
    parser.add_argument(
        "--grobid-url",
        action="append",
        metavar="URL",
        help="GROBID server URL (or SCREENER_GROBID_URL); repeat it, or separate URLs with "
        "commas, to spread papers over several servers",
    )
    parser.add_argument(
        "--grobid-concurrency",
        type=int,
        default=None,
        metavar="N",
        help="papers in flight per GROBID URL, across all batch workers (default 4)",
    )
    parser.add_argument(
        "--no-fallback",
        dest="grobid_no_fallback",
        action="store_true",
        default=None,
        help="with --parser grobid: an unreachable GROBID is an error, not a PyMuPDF fallback",
    )
    parser.add_argument(
        "--extractor",
        choices=sorted(EXTRACTORS),
        help="design extractor (default: heuristic, offline)",
    )
    from screener.extract.llm_command import add_llm_options

    add_llm_options(parser)


# Flag destination -> Settings field, for the flags of `add_backend_options`.
_SETTING_FLAGS = {
    "parser": "parser",
    "grobid_url": "grobid_url",
    "grobid_concurrency": "grobid_concurrency",
    "grobid_no_fallback": "grobid_no_fallback",
    "extractor": "extractor",
    "model": "llm_model",
    "prompt": "llm_prompt",
    "base_url": "llm_base_url",
    "llm_mode": "llm_mode",
    "token_budget": "llm_token_budget",
    "temperature": "llm_temperature",
    "llm_timeout": "llm_timeout_s",
    "llm_attempts": "llm_max_attempts",
    "llm_concurrency": "llm_concurrency",
    "price_in": "llm_price_in_per_1m",
    "price_out": "llm_price_out_per_1m",
}


def settings_from_args(args: argparse.Namespace) -> Settings:
    values = {field: getattr(args, flag, None) for flag, field in _SETTING_FLAGS.items()}
    if isinstance(values["grobid_url"], list):  # --grobid-url given more than once
        values["grobid_url"] = ",".join(values["grobid_url"])
    return load_settings(**values)


# --- screen -------------------------------------------------------------------------------


def _add_screen(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "screen", help="screen papers: parse, extract the design, judge it, report"
    )
    parser.add_argument("papers", nargs="+", type=Path, metavar="PAPER.pdf")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per paper per line"
    )
    parser.add_argument(
        "--out", type=Path, help="also write <stem>.json and <stem>.md into this folder"
    )
    parser.add_argument(
        "--figure",
        action="store_true",
        help="also write <stem>.png, the profile matrix (into --out or .)",
    )
    add_backend_options(parser)
    parser.set_defaults(handler=run_screen)


def run_screen(args: argparse.Namespace) -> int:
    from screener.extract import get_extractor
    from screener.parse import get_parser
    from screener.parse.grobid import fallback_notice
    from screener.pipeline import screen_file

    settings = settings_from_args(args)
    parser = get_parser(settings.parser, settings)
    extractor = get_extractor(settings.extractor, settings)
    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    stems: set[str] = set()
    noticed: set[str] = set()
    failed = 0
    for path in args.papers:
        record, _ = screen_file(path, parser=parser, extractor=extractor, settings=settings)
        notice = fallback_notice(record.parser)
        if notice and notice not in noticed:  # once per run, not once per paper
            noticed.add(notice)
            errors.print(notice, markup=False, soft_wrap=True)
        if record.error:
            failed += 1
            errors.print(f"screener: {record.error}", markup=False, soft_wrap=True)
        if args.json:
            print(record.model_dump_json(), flush=True)
        elif not record.error:
            _render(record, console)
        if not record.error and (args.out or args.figure):
            _write_outputs(record, path, args, stems, errors)
    return 1 if failed else 0


def _render(record: Any, console: Console) -> None:
    from screener.report import render_record

    render_record(record, console)
    console.print()


def _write_outputs(
    record: Any, path: Path, args: argparse.Namespace, stems: set[str], errors: Console
) -> None:
    from screener.report import profile_figure, record_markdown

    folder = args.out or Path(".")
    stem = _unique_stem(path.stem, stems)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if args.out:
            (folder / f"{stem}.json").write_text(
                record.model_dump_json(indent=2) + "\n", encoding="utf-8"
            )
            (folder / f"{stem}.md").write_text(record_markdown(record), encoding="utf-8")
        if args.figure:
            profile_figure(record, folder / f"{stem}.png")
    except OSError as exc:
        errors.print(
            f"screener: {folder}: cannot write reports ({exc.strerror or exc})", markup=False
        )


def _unique_stem(stem: str, taken: set[str]) -> str:
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate)
    return candidate


# --- judge --------------------------------------------------------------------------------


def _add_judge(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "judge", help="run the rules alone on a codebook-shaped design file (JSON or JSON lines)"
    )
    parser.add_argument("designs", nargs="+", type=Path, metavar="DESIGN.json")
    parser.set_defaults(handler=run_judge)


def run_judge(args: argparse.Namespace) -> int:
    from screener.rules import judge

    failed = 0
    for path in args.designs:
        try:
            records = _read_designs(path)
        except ScreenerError as exc:
            print(f"screener: {exc}", file=sys.stderr)
            failed += 1
            continue
        for where, record in records:
            try:
                design = Design.from_codebook(record)
            except ValueError as exc:
                print(
                    f"screener: {where}: not a valid design ({_first_error(exc)})", file=sys.stderr
                )
                failed += 1
                continue
            judgment = judge(design)
            out = {"source": where, **judgment.model_dump(mode="json")}
            if "id" in record:
                out["id"] = record["id"]
            print(json.dumps(out), flush=True)
    return 1 if failed else 0


def _read_designs(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """One JSON object, or JSON lines; each with a label saying where it came from."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScreenerError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ScreenerError(f"{path}: is a directory, not a design file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScreenerError(f"{path}: cannot read ({exc})") from None
    try:
        whole = json.loads(text)
        items = whole if isinstance(whole, list) else [whole]
        labelled = [
            (str(path) if len(items) == 1 else f"{path}[{i}]", item) for i, item in enumerate(items)
        ]
    except json.JSONDecodeError:
        labelled = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                labelled.append((f"{path}:{number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ScreenerError(f"{path}:{number}: not JSON ({exc.msg})") from None
    for where, item in labelled:
        if not isinstance(item, dict):
            raise ScreenerError(f"{where}: expected a JSON object")
    if not labelled:
        raise ScreenerError(f"{path}: no design in the file")
    return labelled


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc)


# --- schema -------------------------------------------------------------------------------


def _add_schema(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="print the JSON Schema of the extracted Design")
    parser.set_defaults(
        handler=lambda args: print(json.dumps(Design.model_json_schema(), indent=2)) or 0
    )


# --- entry point --------------------------------------------------------------------------

CORE_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_screen,
    _add_judge,
    _add_schema,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screener",
        description="Screen ML research papers for validity threats (offline by default).",
    )
    parser.add_argument("--version", action="version", version=f"screener {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in CORE_COMMANDS:
        add(subparsers)
    from importlib import import_module

    for module_name, function_name in FEATURE_COMMANDS:
        getattr(import_module(module_name), function_name)(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ScreenerError as exc:
        print(f"screener: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("screener: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.debug:
            raise
        print(
            f"screener: unexpected error: {type(exc).__name__}: {exc} (rerun with --debug)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
