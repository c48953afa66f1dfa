"""Seconds and tokens per paper of LLM extraction against a local llama.cpp server.

Usage: python eval/bench_llm_local.py [--corpus DIR] [--limit 10] [--mode tools|json]
                                      [--token-budget 7000] [--max-output-tokens 1024]
                                      [--json OUT.json]

Needs `make llm-local`. Starts llama.cpp's OpenAI-compatible server with SmolLM2-135M
(screener.llm_local) on 127.0.0.1, screens the first `--limit` corpus PDFs (sorted by name) with
`--extractor llm` and a fresh cache, and prints per paper and in total: wall seconds (parse,
extraction and rules), input and output tokens as the server counted them, requests, and
whether the paper fell back to the heuristic extractor. Not a test: the numbers depend on the
machine and on what else runs on it (the load average is printed with them).

SmolLM2 has an 8,192-token context, so the token budget is kept below the 12,000 default: the
prompt, the paper selection and the answer must fit in it together.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from screener.extract.llm import LLMExtractor
from screener.llm_local import LocalServer
from screener.parse import get_parser
from screener.pipeline import screen_file
from screener.settings import Settings


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    cli.add_argument("--limit", type=int, default=10)
    cli.add_argument("--mode", choices=("tools", "json"), default="tools")
    cli.add_argument("--token-budget", type=int, default=7000)
    cli.add_argument("--max-output-tokens", type=int, default=1024)
    cli.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: cores)")
    cli.add_argument("--json", type=Path, help="also write the per-paper rows here")
    args = cli.parse_args()

    pdfs = sorted((args.corpus / "pdfs").glob("*.pdf"))[: args.limit]
    if not pdfs:
        print(f"no PDFs under {args.corpus / 'pdfs'}", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as cache, LocalServer(threads=args.threads) as server:
        settings = Settings(cache_dir=Path(cache))
        extractor = LLMExtractor.from_settings(
            settings,
            model=server.model,
            base_url=server.base_url,
            mode=args.mode,
            token_budget=args.token_budget,
            max_output_tokens=args.max_output_tokens,
            timeout_s=1800,
            max_attempts=1,
        )
        parser = get_parser("pymupdf", settings)
        for path in pdfs:
            start = time.perf_counter()
            record, _ = screen_file(path, parser, extractor, settings)
            seconds = time.perf_counter() - start
            row = {
                "paper": path.name,
                "seconds": round(seconds, 1),
                "tokens_in": record.usage.tokens_in,
                "tokens_out": record.usage.tokens_out,
                "requests": record.usage.requests,
                "extractor": record.extractor,
                "prompt": record.extraction.get("prompt"),
                "error": record.error,
                "load": round(os.getloadavg()[0], 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    _summary(rows, args)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def _summary(rows: list[dict], args: argparse.Namespace) -> None:
    n = len(rows)
    fell_back = sum(1 for r in rows if (r["extractor"] or "").startswith("heuristic"))
    prompts = sorted({str(r["prompt"]) for r in rows})
    print(
        f"\n{n} papers, mode {args.mode}, prompt {', '.join(prompts)}, token budget "
        f"{args.token_budget}, max output tokens {args.max_output_tokens}; {fell_back} fell "
        "back to the heuristic"
    )
    for name in ("seconds", "tokens_in", "tokens_out", "requests"):
        values = [r[name] for r in rows]
        print(
            f"{name:>10}: mean {statistics.fmean(values):,.1f}  median "
            f"{statistics.median(values):,.1f}  min {min(values):,}  max {max(values):,}"
        )
    print(f"load average (1 min) during the run: {[r['load'] for r in rows]}")


if __name__ == "__main__":
    sys.exit(main())
