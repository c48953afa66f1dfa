"""`screener parse PAPER.pdf ...`: show what a parser makes of a paper (what the extractor sees)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screener.document import Document
from screener.errors import ScreenerError
from screener.parse import PARSERS, Parser, get_parser
from screener.settings import load_settings

_FIRST_WORDS = 8
_ABSTRACT_CHARS = 400


def add_parse_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `parse` on the CLI's subparsers; the handler is `args.handler(args)`."""
    command = subparsers.add_parser(
        "parse",
        help="parse papers and print the structured document the extractor will read",
        description="Parse each PDF and print its title, authors, abstract, sections with "
        "page numbers, captions, references and parser warnings.",
    )
    command.add_argument("papers", nargs="+", type=Path, metavar="PAPER.pdf", help="PDFs to parse")
    command.add_argument("--parser", choices=sorted(PARSERS), default=None, help="default: pymupdf")
    command.add_argument(
        "--grobid-url",
        default=None,
        metavar="URL",
        help="GROBID service URL (or SCREENER_GROBID_URL; default http://localhost:8070)",
    )
    command.add_argument(
        "--no-fallback",
        action="store_true",
        help="with --parser grobid: fail when GROBID is unreachable instead of using PyMuPDF",
    )
    command.add_argument("--json", action="store_true", help="print each Document as one JSON line")
    command.set_defaults(handler=run_parse_command)
    return command


def run_parse_command(args: argparse.Namespace) -> int:
    """Parse every paper; errors print one line "file: reason" on stderr and the rest go on."""
    try:
        parser = _build_parser(args)
    except ScreenerError as error:
        print(f"screener parse: {error}", file=sys.stderr)
        return 1
    console = Console(highlight=False, soft_wrap=False)
    failures = 0
    for path in args.papers:
        try:
            document = parser.parse(path)
        except ScreenerError as error:
            failures += 1
            print(_one_line(error, path), file=sys.stderr)
            continue
        except Exception as error:  # noqa: BLE001 - one bad paper must not stop the others
            failures += 1
            print(f"{path}: unexpected {type(error).__name__}: {error}", file=sys.stderr)
            continue
        if args.json:
            sys.stdout.write(document.model_dump_json() + "\n")
        else:
            print_document(document, console)
    return 1 if failures else 0


def _build_parser(args: argparse.Namespace) -> Parser:
    settings = load_settings(parser=args.parser, grobid_url=args.grobid_url)
    if settings.parser == "grobid":
        from screener.parse.grobid import GrobidParser

        return GrobidParser.from_settings(settings, no_fallback=bool(args.no_fallback) or None)
    return get_parser(settings.parser, settings)


def _one_line(error: ScreenerError, path: Path) -> str:
    message = " ".join(str(error).split())
    # InputError already starts with the file; other errors get it added.
    return message if message.startswith(str(path)) else f"{path}: {message}"


def print_document(document: Document, console: Console) -> None:
    """Human-readable summary: every part a parser recovered, with pages and counts."""
    console.rule(Text(document.source))
    console.print(_field("title", document.title or "(none)"))
    console.print(_field("authors", ", ".join(document.authors) or "(none)"))
    console.print(_field("parser", f"{document.parser}, {document.pages} pages"))
    console.print(_field("abstract", _abstract_line(document)))
    console.print(_sections_table(document))
    if document.captions:
        console.print(_captions_table(document))
    refs = document.references
    paged = sum(1 for r in refs if r.page is not None)
    console.print(_field("references", f"{len(refs)} ({paged} with a page number)"))
    console.print(_field("body words", str(document.body_words())))
    for warning in document.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))


def _field(name: str, value: str) -> Text:
    return Text.assemble((f"{name}: ", "bold"), value)


def _abstract_line(document: Document) -> str:
    if not document.abstract:
        return "(none)"
    text = document.abstract
    short = text if len(text) <= _ABSTRACT_CHARS else text[:_ABSTRACT_CHARS].rstrip() + " ..."
    page = f"page {document.abstract_page}" if document.abstract_page else "page unknown"
    return f"{short} [{len(text)} chars, {page}]"


def _sections_table(document: Document) -> Table:
    table = Table(title="sections", title_justify="left", show_lines=False)
    for column in ("no.", "heading", "pages", "paras", "first words"):
        table.add_column(column, overflow="fold")
    for section in document.sections:
        pages = sorted({p.page for p in section.paragraphs if p.page is not None})
        page_text = "?" if not pages else _page_range(pages)
        if pages and any(p.page is None for p in section.paragraphs):
            page_text += " (+?)"
        first = section.paragraphs[0].text if section.paragraphs else ""
        table.add_row(
            Text(section.number or ""),
            Text("  " * (section.level - 1) + (section.heading or "(no heading)")),
            Text(page_text),
            Text(str(len(section.paragraphs))),
            Text(_first_words(first)),
        )
    return table


def _captions_table(document: Document) -> Table:
    table = Table(title="captions", title_justify="left")
    for column in ("kind", "label", "page", "first words"):
        table.add_column(column, overflow="fold")
    for caption in document.captions:
        table.add_row(
            Text(caption.kind),
            Text(caption.label or ""),
            Text(str(caption.page) if caption.page is not None else "?"),
            Text(_first_words(caption.text)),
        )
    return table


def _page_range(pages: list[int]) -> str:
    return str(pages[0]) if pages[0] == pages[-1] else f"{pages[0]}-{pages[-1]}"


def _first_words(text: str) -> str:
    words = text.split()
    return " ".join(words[:_FIRST_WORDS]) + (" ..." if len(words) > _FIRST_WORDS else "")
