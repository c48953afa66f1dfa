"""Benchmark of the offline path: parse (PyMuPDF) + extract (heuristic) + rules, per paper.

Usage: python eval/bench_offline.py [--corpus DIR] [--workers 2] [--repeat 1]

Prints, for the corpus PDFs: throughput (papers/s) with one process and with --workers
processes, median and p95 milliseconds per paper for parsing, extraction and rules
separately, and peak RSS. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from screener.extract import get_extractor
from screener.parse import get_parser
from screener.pipeline import screen_file
from screener.settings import load_settings

_WORKER: tuple = ()


def _init_worker() -> None:
    global _WORKER
    settings = load_settings()
    _WORKER = (get_parser("pymupdf", settings), get_extractor("heuristic", settings), settings)


def _screen(path: str) -> tuple[str, dict[str, float], str | None]:
    parser, extractor, settings = _WORKER
    record, _ = screen_file(path, parser=parser, extractor=extractor, settings=settings)
    return path, record.timings_ms, record.error


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_serial(paths: list[Path]) -> tuple[float, list[dict[str, float]], list[str]]:
    _init_worker()
    start = time.perf_counter()
    results = [_screen(str(p)) for p in paths]
    elapsed = time.perf_counter() - start
    return elapsed, [r[1] for r in results], [f"{r[0]}: {r[2]}" for r in results if r[2]]


def run_pool(paths: list[Path], workers: int) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
        list(pool.map(_screen, [str(p) for p in paths], chunksize=1))
    return time.perf_counter() - start


def peak_rss_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024, children_kb / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=load_settings().corpus_dir)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="screen the corpus this many times")
    args = parser.parse_args(argv)
    paths = sorted((args.corpus / "pdfs").glob("*.pdf")) * args.repeat
    if not paths:
        print(f"no PDFs under {args.corpus / 'pdfs'}", file=sys.stderr)
        return 1
    serial_s, timings, errors = run_serial(paths)
    serial_rss, _ = peak_rss_mb()
    pool_s = run_pool(paths, args.workers)
    _, child_rss = peak_rss_mb()
    n = len(paths)
    print(f"corpus: {args.corpus} ({n} PDFs), cpu cores: {os.cpu_count()}")
    print(f"1 process:   {n / serial_s:6.1f} papers/s  ({serial_s:.2f} s)")
    print(f"{args.workers} processes: {n / pool_s:6.1f} papers/s  ({pool_s:.2f} s)")
    print(f"{'stage':<10} {'median ms':>10} {'p95 ms':>10}")
    for stage in ("parse", "extract", "judge"):
        values = [t[stage] for t in timings if stage in t]
        if values:
            print(f"{stage:<10} {statistics.median(values):10.1f} {percentile(values, 0.95):10.1f}")
    print(f"peak RSS: {serial_rss:.0f} MB (single process), {child_rss:.0f} MB (largest worker)")
    for error in errors:
        print(f"error: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
