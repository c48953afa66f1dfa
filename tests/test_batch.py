"""`screener batch`: every input kind, resume after a kill, failures as rows, the exports."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from screener.batch import (
    BatchOptions,
    Filters,
    arxiv_facts_from_name,
    main,
    run_batch,
)
from screener.batch.exports import export_results
from screener.pipeline import Record
from screener.results_store import EXPORT_COLUMNS, ResultsStore
from screener.settings import load_settings
from tests import batch_backends, pdfmaker

REPO = Path(__file__).resolve().parent.parent

TOPICS = (
    "Label Smoothing",
    "Gradient Clipping",
    "Cosine Schedules",
    "Dropout Placement",
    "Warmup Length",
    "Batch Size",
    "Weight Decay",
    "Tokenizer Size",
)


def make_papers(folder: Path, count: int, prefix: str = "") -> list[Path]:
    """`count` fictional papers with distinct titles (so distinct bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        title = f"{TOPICS[i % len(TOPICS)]} Study {prefix}{i} of the Quillfeather Optimiser"
        paths.append(pdfmaker.write_paper(folder / f"paper-{prefix}{i}.pdf", title=title))
    return paths


def batch(inputs: list[Path], out: Path, **options: object) -> object:
    options.setdefault("workers", 2)
    options.setdefault("backends", batch_backends.BACKENDS)
    return run_batch(BatchOptions(inputs=inputs, out=out, settings=load_settings(), **options))


def store_rows(out: Path) -> list[dict[str, object]]:
    with sqlite3.connect(out / "results.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM results ORDER BY rowid")]


def by_status(rows: list[dict[str, object]], status: str) -> list[dict[str, object]]:
    return [row for row in rows if row["status"] == status]


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2401.01234v2.pdf", {"arxiv_id": "2401.01234", "year": "2024", "month": "2024-01"}),
        ("0704.0001.pdf", {"arxiv_id": "0704.0001", "year": "2007", "month": "2007-04"}),
        ("1706.03762v7-2.pdf", {"arxiv_id": "1706.03762", "year": "2017", "month": "2017-06"}),
        ("hep-th0701001v1.pdf", {"arxiv_id": "hep-th/0701001", "year": "2007", "month": "2007-01"}),
        ("math.AG9901001.pdf", {"arxiv_id": "math.AG/9901001", "year": "1999", "month": "1999-01"}),
        ("my-paper.pdf", {}),
        ("2413.01234.pdf", {}),  # month 13 is not an arXiv id
    ],
)
def test_arxiv_facts_from_file_names(name: str, expected: dict[str, str]) -> None:
    facts = arxiv_facts_from_name(name)
    assert {k: facts[k] for k in expected} == expected
    assert bool(facts) == bool(expected)


def test_filters_keep_papers_whose_facts_are_unknown() -> None:
    filters = Filters(categories=frozenset({"cs.LG"}), since="2023-01", until="2023-12")
    assert filters.accepts({"categories": "cs.CL cs.LG", "month": "2023-05"})
    assert not filters.accepts({"categories": "hep-th", "month": "2023-05"})
    assert not filters.accepts({"categories": "cs.LG", "month": "2024-01"})
    assert not filters.accepts({"categories": "cs.LG", "month": "2022-12"})
    assert filters.accepts({})  # a PDF without an arXiv name is not silently dropped


# --- folders --------------------------------------------------------------------------------


def test_folder_screens_pdfs_recursively_and_records_a_corrupt_one(tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 2)
    make_papers(inputs / "nested" / "deeper", 1, prefix="n")
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    (inputs / "notes.txt").write_text("not a paper")
    out = tmp_path / "out"

    summary = batch([inputs], out)

    rows = store_rows(out)
    assert (summary.screened, summary.failed, summary.skipped) == (3, 1, 0)
    assert len(by_status(rows, "ok")) == 3
    [failed] = by_status(rows, "failed")
    assert str(inputs / "broken.pdf") in failed["error"]
    assert "\n" not in failed["error"]
    assert all(row["title"] and "Quillfeather" in row["title"] for row in by_status(rows, "ok"))
    assert not list(out.glob(".tmp-*"))


def test_exports_have_one_row_per_paper_with_the_documented_columns(tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 2)
    (inputs / "broken.pdf").write_bytes(b"garbage")
    out = tmp_path / "out"
    batch([inputs], out)

    table = pq.read_table(out / "results.parquet")
    assert tuple(table.column_names) == EXPORT_COLUMNS
    assert table.num_rows == 3
    for name in ("categories", "strategies", "threat_ids"):
        field_type = table.schema.field(name).type
        assert pa.types.is_list(field_type) and pa.types.is_string(field_type.value_type)
    frame = table.to_pandas()
    ok = frame[frame["status"] == "ok"]
    assert ok["rules_version"].notna().all() and ok["extractor"].eq("heuristic").all()
    assert ok["in_scope"].notna().all()

    import pandas as pd

    csv = pd.read_csv(out / "results.csv")
    assert tuple(csv.columns) == EXPORT_COLUMNS
    joined = ";".join(ok.iloc[0]["strategies"])
    assert (
        csv.loc[csv["sha256"] == ok.iloc[0]["sha256"], "strategies"]
        .astype(object)
        .fillna("")
        .item()
        == joined
    )

    # Written in chunks, the files hold the same rows.
    with ResultsStore.open(out) as store:
        export_results(store, out, chunk_rows=2)
    assert pq.read_table(out / "results.parquet").equals(table)
    assert pd.read_csv(out / "results.csv").equals(csv)

    lines = (out / "results.jsonl").read_text().splitlines()
    records = [Record.model_validate_json(line) for line in lines]
    assert {r.sha256 for r in records} == set(frame["sha256"])
    assert sum(r.error is not None for r in records) == 1


def test_rerun_skips_done_papers_and_new_files_are_added(tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 2)
    out = tmp_path / "out"
    batch([inputs], out)
    make_papers(inputs, 1, prefix="new")
    # The same bytes under another name are the same paper.
    (inputs / "copy.pdf").write_bytes((inputs / "paper-0.pdf").read_bytes())

    summary = batch([inputs], out)

    assert (summary.screened, summary.already_done) == (1, 3)
    rows = store_rows(out)
    assert len(rows) == len({row["sha256"] for row in rows}) == 3


def test_limit_takes_the_first_papers_in_a_stable_order(tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 3)
    out = tmp_path / "out"
    summary = batch([inputs], out, limit=2)
    assert summary.screened == 2
    sources = {Path(row["source"]).name for row in store_rows(out)}
    assert sources == {"paper-0.pdf", "paper-1.pdf"}


# --- failures and retries -------------------------------------------------------------------


def test_failures_are_rows_that_retry_failed_screens_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 3)
    out = tmp_path / "out"
    marker = tmp_path / "service-down"
    marker.touch()
    monkeypatch.setenv(batch_backends.FAIL_MARKER, str(marker))

    first = batch([inputs], out, extractor="flaky")
    assert first.failed == 3
    assert all("unavailable" in row["error"] for row in store_rows(out))

    marker.unlink()
    again = batch([inputs], out, extractor="flaky")
    assert (again.screened, again.already_done) == (0, 3)

    retried = batch([inputs], out, extractor="flaky", retry_failed=True)
    assert retried.screened == 3
    rows = store_rows(out)
    assert len(rows) == 3 and all(row["status"] == "ok" and not row["error"] for row in rows)


def test_a_worker_crash_fails_only_the_paper_that_caused_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "papers"
    papers = make_papers(inputs, 4)
    out = tmp_path / "out"
    crash_title = f"{TOPICS[2]} Study 2 of the Quillfeather Optimiser"
    monkeypatch.setenv(batch_backends.CRASH_TITLE, crash_title)

    summary = batch([inputs], out, extractor="crashing")

    assert (summary.screened, summary.failed) == (3, 1)
    [failed] = by_status(store_rows(out), "failed")
    assert failed["source"] == str(papers[2])
    assert "crashed" in failed["error"]


# --- the per-paper time limit ---------------------------------------------------------------


def _timed_batch(inputs: Path, out: Path, cache: Path, **options: object) -> object:
    settings = load_settings(cache_dir=cache, paper_timeout_s=1.5)
    options.setdefault("workers", 2)
    options.setdefault("backends", batch_backends.SWITCHED)
    return run_batch(BatchOptions(inputs=[inputs], out=out, settings=settings, **options))


def test_a_hanging_parse_times_out_its_worker_is_replaced_and_retry_takes_it_up(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "papers"
    papers = make_papers(inputs, 4)
    stuck = pdfmaker.write_paper(
        inputs / "stuck.pdf", title=f"A {batch_backends.TRIPWIRE} Study of Quillfeather"
    )
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache.mkdir()
    (cache / "hang").touch()

    summary = _timed_batch(inputs, out, cache, parser="sleepy")

    assert (summary.screened, summary.failed) == (len(papers), 1)
    [failed] = by_status(store_rows(out), "failed")
    assert failed["source"] == str(stuck)
    assert failed["error"] == f"{stuck}: timed out after 1.5 s"

    (cache / "hang").unlink()
    again = _timed_batch(inputs, out, cache, parser="sleepy", retry_failed=True)
    assert (again.screened, again.already_done) == (1, len(papers))
    assert all(row["status"] == "ok" for row in store_rows(out))


def test_a_hanging_llm_call_times_out_in_thread_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.extract import EXTRACTORS

    # The "llm" name switches the batch to threads; a stand-in hangs on one paper.
    monkeypatch.setitem(EXTRACTORS, "llm", "tests.batch_backends:HangingExtractor")
    inputs = tmp_path / "papers"
    make_papers(inputs, 3)
    stuck = pdfmaker.write_paper(
        inputs / "stuck.pdf", title=f"A {batch_backends.TRIPWIRE} Study of Quillfeather"
    )
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache.mkdir()
    (cache / "hang").touch()
    try:
        summary = _timed_batch(inputs, out, cache, extractor="llm", llm_concurrency=2, backends={})
    finally:
        (cache / "hang").unlink()  # lets the abandoned thread finish

    assert (summary.screened, summary.failed) == (3, 1)
    [failed] = by_status(store_rows(out), "failed")
    assert failed["error"] == f"{stuck}: timed out after 1.5 s"


def test_paper_timeout_flag_reaches_the_settings(tmp_path: Path) -> None:
    from screener.batch.command import configure_batch_parser, options_from_args

    parser = configure_batch_parser(__import__("argparse").ArgumentParser())
    args = parser.parse_args([str(tmp_path), "--out", str(tmp_path / "o"), "--paper-timeout", "7"])
    assert options_from_args(args).settings.paper_timeout_s == 7.0
    assert load_settings().paper_timeout_s == 300.0  # the default


# --- tar archives ---------------------------------------------------------------------------


def _add(archive: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind == tarfile.SYMTYPE:
        info.linkname = "2401/2401.00001v1.pdf"
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def make_arxiv_tar(path: Path, papers: list[Path]) -> None:
    mode = {".tar": "w", ".gz": "w:gz", ".tgz": "w:gz"}[path.suffix]
    with tarfile.open(path, mode) as archive:
        archive.addfile(_dir_info("2401"))
        for i, paper in enumerate(papers, start=1):
            _add(archive, f"2401/2401.{i:05d}v1.pdf", paper.read_bytes())
        _add(archive, "2401/2401.09999v1.pdf", b"%PDF-1.5 truncated nonsense")
        _add(archive, "../escape.pdf", papers[0].read_bytes() + b"\n")
        _add(archive, "/tmp/absolute.pdf", papers[0].read_bytes() + b"\n\n")
        _add(archive, "2401/link.pdf", b"", kind=tarfile.SYMTYPE)
        _add(archive, "2401/fifo.pdf", b"", kind=tarfile.FIFOTYPE)
        _add(archive, "2401/README.txt", b"listing of this archive")


def _dir_info(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tgz"])
def test_tar_members_are_screened_and_unsafe_members_skipped(tmp_path: Path, suffix: str) -> None:
    papers = make_papers(tmp_path / "src", 2)
    archive = tmp_path / "work" / f"arXiv_pdf_2401_001{suffix}"
    archive.parent.mkdir()
    make_arxiv_tar(archive, papers)
    out = tmp_path / "work" / "out"

    summary = batch([archive], out)

    rows = store_rows(out)
    ok, failed, skipped = (by_status(rows, s) for s in ("ok", "failed", "skipped"))
    assert (summary.screened, summary.failed, summary.skipped) == (2, 1, 5)
    assert sorted(row["arxiv_id"] for row in ok) == ["2401.00001", "2401.00002"]
    assert {row["year"] for row in ok} == {2024}
    assert all(row["source"].startswith(f"{archive}:2401/") for row in ok)
    assert failed[0]["source"] == f"{archive}:2401/2401.09999v1.pdf"
    assert f"{archive}:2401/2401.09999v1.pdf" in failed[0]["error"]
    reasons = {row["source"].split(":", 1)[1]: row["error"] for row in skipped}
    assert "traversal" in reasons["../escape.pdf"]
    assert "absolute" in reasons["/tmp/absolute.pdf"]
    assert "symbolic link" in reasons["2401/link.pdf"]
    assert "FIFO" in reasons["2401/fifo.pdf"]
    assert reasons["2401/README.txt"] == "not a PDF"
    # Nothing was written where the unsafe names point, and the temp dir is gone.
    assert (
        not (tmp_path / "escape.pdf").exists() and not (tmp_path / "work" / "escape.pdf").exists()
    )
    assert not Path("/tmp/absolute.pdf").exists()
    assert not list(out.glob(".tmp-*"))

    rerun = batch([archive], out)
    assert (rerun.screened, rerun.skipped, rerun.already_done) == (0, 0, 3)
    assert len(store_rows(out)) == 8


# --- arXiv metadata snapshots ---------------------------------------------------------------


def metadata_record(arxiv_id: str, categories: str, created: str, title: str) -> dict[str, object]:
    return {
        "id": arxiv_id,
        "submitter": "Ada Fernhill",
        "authors": "Ada Fernhill, Basil Quorn",
        "title": f"{title}\n  of the Quillfeather Optimiser",
        "abstract": "  We train small networks with and without warm restarts across four seeds\n"
        "and compare accuracy on synthetic benchmarks. Removing the restarts changes accuracy "
        "by less than half a point.\n",
        "categories": categories,
        "versions": [{"version": "v1", "created": created}],
        "update_date": "2024-06-30",
        "authors_parsed": [["Fernhill", "Ada", ""], ["Quorn", "Basil", ""]],
    }


METADATA = [
    metadata_record("2301.00001", "cs.LG stat.ML", "Mon, 2 Jan 2023 10:00:00 GMT", "Restarts"),
    metadata_record("2303.00002", "cs.CL", "Wed, 1 Mar 2023 10:00:00 GMT", "Tokenizers"),
    metadata_record("2306.00003", "hep-th", "Thu, 1 Jun 2023 10:00:00 GMT", "Strings"),
    metadata_record("2401.00004", "cs.LG", "Tue, 2 Jan 2024 10:00:00 GMT", "Schedules"),
    metadata_record("2212.00005", "cs.LG", "Thu, 1 Dec 2022 10:00:00 GMT", "Dropout"),
]


def write_metadata(path: Path, records: list[dict[str, object]], bad_line: bool = True) -> Path:
    lines = [json.dumps(record) for record in records]
    if bad_line:
        lines.insert(2, "{not json")
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_metadata_snapshot_is_screened_at_abstract_level_with_filters(tmp_path: Path) -> None:
    snapshot = write_metadata(tmp_path / "arxiv-metadata.jsonl.gz", METADATA)
    out = tmp_path / "out"
    filters = Filters(categories=frozenset({"cs.LG", "cs.CL"}), since="2023-01", until="2023-12")

    summary = batch([snapshot], out, filters=filters)

    rows = store_rows(out)
    ok = by_status(rows, "ok")
    assert sorted(row["arxiv_id"] for row in ok) == ["2301.00001", "2303.00002"]
    assert {row["level"] for row in ok} == {"abstract"}
    assert {row["year"] for row in ok} == {2023}
    first = next(row for row in ok if row["arxiv_id"] == "2301.00001")
    assert json.loads(first["categories"]) == ["cs.LG", "stat.ML"]
    assert first["title"] == "Restarts of the Quillfeather Optimiser"
    record = Record.model_validate_json(first["record"])
    assert record.parser == "arxiv-metadata" and record.document.abstract.startswith("We train")
    [bad] = by_status(rows, "skipped")
    assert "line 3 is not valid JSON" in bad["error"]
    assert (summary.screened, summary.skipped) == (2, 1)


def test_metadata_without_filters_and_plain_jsonl(tmp_path: Path) -> None:
    snapshot = write_metadata(tmp_path / "snapshot.jsonl", METADATA, bad_line=False)
    out = tmp_path / "out"
    summary = batch([snapshot], out, workers=1)
    assert summary.screened == len(METADATA)
    # The record's sha256 is of its canonical JSON: the same record re-serialised is the same.
    reordered = [dict(reversed(list(record.items()))) for record in METADATA]
    write_metadata(tmp_path / "reordered.jsonl", reordered, bad_line=False)
    again = batch([tmp_path / "reordered.jsonl"], out, workers=1)
    assert (again.screened, again.already_done) == (0, len(METADATA))


# --- resume after kill -9 -------------------------------------------------------------------


def _count_rows(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_a_run_killed_with_sigkill_resumes_without_losses_or_duplicates(tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    total = 16
    make_papers(inputs, total)
    out = tmp_path / "out"
    # The slow stand-in takes the heuristic extractor's name for this run only.
    code = (
        "import sys; from screener.batch import main; "
        "slow = {'extractor': {'heuristic': 'tests.batch_backends:SlowExtractor'}}; "
        f"sys.exit(main([{str(inputs)!r}, '--out', {str(out)!r}, '--workers', '2', "
        "'--no-progress'], backends=slow))"
    )
    env = {**os.environ, batch_backends.SLOW_SECONDS: "0.3", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    store = out / "results.sqlite"
    deadline = time.monotonic() + 60
    while _count_rows(store) < 3:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the batch wrote no rows"
        time.sleep(0.02)
    # `kill -9` of the batch process alone: its workers notice and exit by themselves.
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    at_kill = _count_rows(store)
    assert 3 <= at_kill < total, "the run finished before it could be killed"

    summary = main([str(inputs), "--out", str(out), "--workers", "2", "--no-progress"])

    assert summary == 0
    rows = store_rows(out)
    assert len(rows) == total
    assert len({row["sha256"] for row in rows}) == total
    assert {row["source"] for row in rows} == {str(p) for p in sorted(inputs.glob("*.pdf"))}
    assert all(row["status"] == "ok" for row in rows)
    assert pq.read_table(out / "results.parquet").num_rows == total


# --- the command line -----------------------------------------------------------------------


def test_command_line_reports_a_summary_and_bad_input_in_one_line(tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 1)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "screener.batch", str(inputs), "--out", str(out), "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "1 screened, 0 failed, 0 skipped, 0 already done" in run.stdout
    assert "papers/s" in run.stdout

    missing = subprocess.run(
        [sys.executable, "-m", "screener.batch", str(tmp_path / "nope"), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope'}: no such file or folder"

    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "screener.batch",
            str(inputs),
            "--out",
            str(out),
            "--extractor",
            "nonesuch",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert unknown.returncode == 2
    assert "nonesuch" in unknown.stderr and "Traceback" not in unknown.stderr


def test_an_unknown_backend_is_one_error_before_any_work(tmp_path: Path) -> None:
    from screener.errors import ScreenerError

    make_papers(tmp_path / "papers", 1)
    with pytest.raises(ScreenerError, match="unknown extractor 'nonesuch'"):
        batch([tmp_path / "papers"], tmp_path / "out", extractor="nonesuch")
    assert not (tmp_path / "out" / "results.sqlite").exists()


def test_a_second_run_on_the_same_folder_is_refused_while_one_is_running(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; h = open(sys.argv[1], 'w'); "
            "fcntl.lockf(h, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            str(out / ".batch.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main([str(tmp_path), "--out", str(out), "--no-progress"])
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert code == 2


def test_store_rows_round_trip(tmp_path: Path) -> None:
    from screener.results_store import ResultRow

    with ResultsStore.open(tmp_path) as store:
        store.put(
            ResultRow(
                sha256="a",
                source="x.pdf",
                status="ok",
                categories=["cs.LG"],
                strategies=["proxy_model"],
                in_scope=True,
                year=2024,
            )
        )
        store.put(ResultRow(sha256="a", source="x.pdf", status="ok", in_scope=False))
        [row] = list(store.rows())
        assert store.counts() == {"ok": 1}
    assert row.in_scope is False and row.categories == []


def test_llm_extractor_runs_in_threads_capped_by_llm_concurrency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.extract import EXTRACTORS

    # The "llm" name is what switches the batch to threads; a probe stands in for the model.
    monkeypatch.setitem(EXTRACTORS, "llm", "tests.batch_backends:ConcurrencyProbe")
    probe = batch_backends.ConcurrencyProbe
    monkeypatch.setattr(probe, "peak", 0)
    monkeypatch.setattr(probe, "seen_threads", set())
    snapshot = write_metadata(tmp_path / "snapshot.jsonl", METADATA, bad_line=False)
    out = tmp_path / "out"

    summary = batch([snapshot], out, extractor="llm", llm_concurrency=2, workers=8, backends={})

    assert summary.screened == len(METADATA) and summary.workers == 2
    assert 1 <= probe.peak <= 2
    assert threading_main_thread_id() not in probe.seen_threads


def threading_main_thread_id() -> int:
    import threading

    return threading.main_thread().ident or 0


@pytest.mark.corpus
def test_the_corpus_metadata_sample_with_category_and_date_filters(
    corpus: Path, tmp_path: Path
) -> None:
    from email.utils import parsedate_to_datetime

    snapshot = corpus / "arxiv-metadata-sample.jsonl.gz"
    wanted = {"hep-ph", "hep-th"}
    expected = set()
    with gzip.open(snapshot, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            created = parsedate_to_datetime(record["versions"][0]["created"])
            if wanted & set(record["categories"].split()) and (2007, 4) <= (
                created.year,
                created.month,
            ) <= (2007, 6):
                expected.add(record["id"])
    assert expected, "the sample should hold papers in these categories and months"
    out = tmp_path / "out"
    filters = Filters(categories=frozenset(wanted), since="2007-04", until="2007-06")

    summary = batch([snapshot], out, filters=filters)

    rows = store_rows(out)
    assert summary.screened == len(expected) == len(rows)
    assert {row["arxiv_id"] for row in rows} == expected
    assert all(row["status"] == "ok" and row["year"] == 2007 for row in rows)
