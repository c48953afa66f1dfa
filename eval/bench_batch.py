"""Benchmark `screener batch`: throughput and peak memory at 1x and 10x input.

Runs the batch as a user would (a subprocess, `python -m screener.batch`) over
- the corpus PDFs (corpus/pdfs) and a 10x folder of altered copies (each copy has bytes
  appended, so its sha256 differs and it is a new paper to the store; names are changed so the
  arXiv id in the file name does not mark it as already screened);
- the arXiv metadata sample (corpus/arxiv-metadata-sample.jsonl.gz) and a 10x snapshot whose
  records repeat the sample with altered ids.

With `--engines local,ray` the PDF cases run once per engine on the same cores (the Ray engine
starts its own local Ray with --workers CPUs; its start-up is inside the measured time), so
Ray's overhead over the local process pool can be read off. The target: within 25%.

Memory is the resident set of the whole process tree (the batch process plus its workers; for
Ray also its raylet, GCS and workers, which are children of the driver), sampled every 50 ms with
psutil; the peak of that sum is reported, and the peak of the parent (the driver) alone. The
target is a flat profile: peak RSS at 10x no more than 1.5x the peak at 1x, and a driver that
does not grow with the input (it must not hold all records).

Usage: python eval/bench_batch.py [--corpus DIR] [--workers N] [--scale 10] [--engines local,ray]
       [--skip-metadata] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
_SUMMARY = re.compile(r"(\d+) screened, (\d+) failed, (\d+) skipped, (\d+) already done")
_RATE = re.compile(r"time: ([\d.]+) s with (\d+) workers")


@dataclass
class Measurement:
    case: str
    papers: int
    failed: int
    wall_s: float
    batch_s: float
    papers_per_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_parent_mb: float
    workers: int
    engine: str = "local"


class TreeSampler:
    """Peak RSS of a process and all its descendants, sampled in a background thread."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.root = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak_total = 0
        # Forked workers share the parent's pages, which RSS counts once per process; PSS
        # divides shared pages among their users, so its sum is the tree's real footprint.
        self.peak_pss = 0
        self.peak_parent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                parent = self.root.memory_full_info()
                children = self.root.children(recursive=True)
            except psutil.Error:
                break
            total, pss = parent.rss, parent.pss
            for child in children:
                try:
                    info = child.memory_full_info()
                except psutil.Error:
                    continue  # a worker that just exited
                total, pss = total + info.rss, pss + info.pss
            self.peak_total = max(self.peak_total, total)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_parent = max(self.peak_parent, parent.rss)
            time.sleep(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_case(
    case: str, inputs: list[Path], out: Path, workers: int, engine: str = "local"
) -> Measurement:
    command = [
        sys.executable,
        "-m",
        "screener.batch",
        *map(str, inputs),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--no-progress",
        "--engine",
        engine,
    ]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeSampler(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    if process.returncode != 0:
        raise SystemExit(f"{case}: batch exited with {process.returncode}: {stderr.strip()}")
    counts = _SUMMARY.search(stdout)
    timing = _RATE.search(stdout)
    if not counts or not timing:
        raise SystemExit(f"{case}: no summary in the batch output:\n{stdout}")
    screened, failed = int(counts.group(1)), int(counts.group(2))
    batch_s = float(timing.group(1))
    return Measurement(
        case=case,
        papers=screened + failed,
        failed=failed,
        wall_s=round(wall, 2),
        batch_s=batch_s,
        papers_per_s=round((screened + failed) / batch_s, 2) if batch_s else 0.0,
        peak_rss_mb=round(sampler.peak_total / 2**20, 1),
        peak_pss_mb=round(sampler.peak_pss / 2**20, 1),
        peak_parent_mb=round(sampler.peak_parent / 2**20, 1),
        workers=int(timing.group(2)),
        engine=engine,
    )


def scaled_pdfs(source: Path, target: Path, scale: int) -> Path:
    """`scale` altered copies of every PDF: new bytes (so new sha256) and non-arXiv names."""
    target.mkdir(parents=True)
    for pdf in sorted(source.glob("*.pdf")):
        data = pdf.read_bytes()
        for copy in range(scale):
            # Bytes after %%EOF are ignored by PDF readers but change the file's hash.
            (target / f"copy{copy:02d}-{pdf.name}").write_bytes(data + b"\n%" + b"x" * (copy + 1))
    return target


def first_pdfs(source: Path, target: Path, count: int) -> Path:
    """A folder of links to the first `count` PDFs (by name): a fixed-size 1x input."""
    target.mkdir(parents=True)
    for pdf in sorted(source.glob("*.pdf"))[:count]:
        (target / pdf.name).symlink_to(pdf.resolve())
    return target


def scaled_metadata(source: Path, target: Path, scale: int) -> Path:
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with gzip.open(target, "wt", encoding="utf-8") as handle:
        for copy in range(scale):
            for record in records:
                altered = {**record, "id": f"{record['id']}-c{copy}"}
                handle.write(json.dumps(altered) + "\n")
    return target


def markdown(results: list[Measurement]) -> str:
    lines = [
        "| engine | case | papers | failed | workers | batch s | papers/s | peak RSS, tree (MB) | "
        "peak PSS, tree (MB) | peak RSS, driver (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        lines.append(
            f"| {m.engine} | {m.case} | {m.papers} | {m.failed} | {m.workers} | {m.batch_s:.1f} | "
            f"{m.papers_per_s:.2f} | {m.peak_rss_mb:.0f} | {m.peak_pss_mb:.0f} | "
            f"{m.peak_parent_mb:.0f} |"
        )
    return "\n".join(lines)


def engine_overhead(results: list[Measurement]) -> list[str]:
    """Ray's papers/s against the local engine's, case by case."""
    local = {m.case: m for m in results if m.engine == "local"}
    lines = []
    for m in results:
        if m.engine != "local" and m.case in local and m.papers_per_s:
            slower = local[m.case].papers_per_s / m.papers_per_s - 1
            verdict = "within" if slower <= 0.25 else "NOT within"
            lines.append(
                f"{m.engine} vs local, {m.case}: {m.papers_per_s:.2f} vs "
                f"{local[m.case].papers_per_s:.2f} papers/s, overhead {slower:+.0%} "
                f"({verdict} the 25% target)"
            )
    return lines


def ratios(results: list[Measurement]) -> list[str]:
    lines = []
    for engine in dict.fromkeys(m.engine for m in results):
        lines += _ratios([m for m in results if m.engine == engine], engine)
    return lines


def _ratios(results: list[Measurement], engine: str) -> list[str]:
    by_case = {m.case: m for m in results}
    lines = []
    for kind in ("pdf", "metadata"):
        one, many = (
            by_case.get(f"{kind} 1x"),
            next(
                (m for c, m in by_case.items() if c.startswith(f"{kind} ") and c != f"{kind} 1x"),
                None,
            ),
        )
        if one and many and one.peak_rss_mb and one.peak_pss_mb:
            rss = many.peak_rss_mb / one.peak_rss_mb
            pss = many.peak_pss_mb / one.peak_pss_mb
            driver = many.peak_parent_mb / one.peak_parent_mb
            verdict = "flat" if max(rss, pss, driver) <= 1.5 else "NOT flat"
            lines.append(
                f"{engine}, {kind}: {many.case} / 1x peak RSS = {rss:.2f}, peak PSS = {pss:.2f}, "
                f"driver = {driver:.2f} ({verdict}, target <= 1.5)"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    default_corpus = os.environ.get("SCREENER_CORPUS_DIR", str(REPO.parent / "shared" / "corpus"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(default_corpus))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--skip-pdf-scale", action="store_true", help="no 10x PDF run (slow)")
    parser.add_argument("--skip-metadata", action="store_true", help="no metadata runs")
    parser.add_argument(
        "--papers", type=int, default=None, help="the 1x input: the first N corpus PDFs (by name)"
    )
    parser.add_argument(
        "--engines", default="local", help="comma-separated: local, ray (PDF cases run per engine)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    pdfs = args.corpus / "pdfs"
    metadata = args.corpus / "arxiv-metadata-sample.jsonl.gz"
    if not pdfs.is_dir() or not metadata.exists():
        raise SystemExit(f"{args.corpus}: no pdfs/ or arxiv-metadata-sample.jsonl.gz")
    work = Path(tempfile.mkdtemp(prefix="screener-bench-"))
    results: list[Measurement] = []
    try:
        if args.papers:
            pdfs = first_pdfs(pdfs, work / "first", args.papers)
        engines = [e.strip() for e in args.engines.split(",") if e.strip()]
        cases: list[tuple[str, Path, str]] = []
        scaled_pdf = None if args.skip_pdf_scale else scaled_pdfs(pdfs, work / "pdfs", args.scale)
        for engine in engines:
            cases.append(("pdf 1x", pdfs, engine))
            if scaled_pdf:
                cases.append((f"pdf {args.scale}x", scaled_pdf, engine))
        if not args.skip_metadata:
            cases.append(("metadata 1x", metadata, "local"))
            scaled = scaled_metadata(metadata, work / "metadata.jsonl.gz", args.scale)
            cases.append((f"metadata {args.scale}x", scaled, "local"))
        for case, source, engine in cases:
            out = work / f"out-{engine}-{case.replace(' ', '-')}"
            results.append(run_case(case, [source], out, args.workers, engine))
            print(f"{engine} {case}: {results[-1]}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"cpu: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    print(markdown(results))
    for line in ratios(results) + engine_overhead(results):
        print(line)
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
