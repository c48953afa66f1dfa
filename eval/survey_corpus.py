"""The committed survey of the corpus: `python eval/survey_corpus.py` (or `make survey-corpus`).

Screens every PDF of the corpus with the offline extractor (`screener batch`, into a temporary
folder: the batch results carry paper titles, which are not committed), then writes the survey
report, raw shares beside shares corrected with the committed heuristic evaluation, into
eval/results/survey-heuristic-pymupdf/.

The calibration is the newest eval/results/heuristic-pymupdf*.json that has a calibration
block (re-run `make eval` first after changing the extractor, the rules or the gold labels).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from screener.errors import ScreenerError
from screener.survey import survey_of, write_report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "eval" / "results"


def newest_calibration(results: Path = RESULTS) -> Path:
    for path in sorted(results.glob("heuristic-pymupdf*.json"), reverse=True):
        if '"calibration"' in path.read_text(encoding="utf-8"):
            return path
    raise ScreenerError(f"{results}: no heuristic-pymupdf*.json with a calibration (make eval)")


def run_batch(pdfs: Path, out: Path, workers: int) -> None:
    command = [sys.executable, "-m", "screener", "batch", str(pdfs), "--out", str(out)]
    subprocess.run([*command, "--workers", str(workers), "--no-progress"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval/survey_corpus.py", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--calibration", type=Path, default=None, help="default: the newest")
    parser.add_argument("--out", type=Path, default=RESULTS / "survey-heuristic-pymupdf")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args(argv)
    try:
        calibration = (args.calibration or newest_calibration()).resolve()
        with tempfile.TemporaryDirectory(prefix="screener-corpus-batch-") as folder:
            run_batch(args.corpus / "pdfs", Path(folder), args.workers)
            survey = survey_of(Path(folder), calibration, args.bootstrap, seed=0)
        # Relative to the checkout, so that the committed report names the file, not a home.
        shown = Path(os.path.relpath(calibration, ROOT)).as_posix()
        survey.calibration = replace(survey.calibration, source=shown)
        paths = write_report(survey, args.out)
    except (ScreenerError, OSError, subprocess.CalledProcessError) as exc:
        print(f"eval/survey_corpus.py: {exc}", file=sys.stderr)
        return 2
    print(f"calibration: {shown}")
    print(f"report: {paths['markdown']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
