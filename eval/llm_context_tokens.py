"""Input tokens an LLM extraction sends per paper (prompt + schema + selected paper text).

Offline: every corpus PDF is parsed and the request the extractor would build is counted with
the project's offline token counter (an o200k-like approximation, screener/extract/context.py).

    python eval/llm_context_tokens.py --corpus ../shared/corpus [--prompt extract_design]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from screener.errors import ScreenerError
from screener.extract.llm import LLMConfig, overhead_tokens, paper_context
from screener.extract.prompt import load_prompt
from screener.parse.pymupdf import PyMuPDFParser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--prompt", default="extract_design")
    parser.add_argument("--token-budget", type=int, default=LLMConfig().token_budget)
    args = parser.parse_args(argv)
    prompt = load_prompt(args.prompt)
    config = LLMConfig(model="count-only", prompt=args.prompt, token_budget=args.token_budget)
    overhead = overhead_tokens(prompt, config.mode)
    totals: list[int] = []
    for path in sorted((args.corpus / "pdfs").glob("*.pdf")):
        try:
            document = PyMuPDFParser().parse(path)
        except ScreenerError as exc:
            print(f"skipped {exc}", file=sys.stderr)
            continue
        totals.append(overhead + paper_context(prompt, document, config).tokens)
    if not totals:
        print(f"no PDFs under {args.corpus / 'pdfs'}", file=sys.stderr)
        return 2
    print(f"prompt {prompt.label} (sha256 {prompt.sha256[:12]}), budget {args.token_budget}")
    print(f"papers {len(totals)}; prompt + schema {overhead} tokens")
    print(
        f"input tokens per paper: mean {statistics.mean(totals):,.0f}, "
        f"median {statistics.median(totals):,.0f}, max {max(totals):,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
