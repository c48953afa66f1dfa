"""`screener batch --engine ray` on a local Ray (2 CPUs, no network): the same results as the
local engine, nothing lost when a worker dies, resumable, per-paper time limit, and one LLM
concurrency limit for the whole cluster."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from screener.batch import BatchOptions, run_batch
from screener.errors import ScreenerError
from screener.settings import load_settings
from tests import batch_backends, pdfmaker
from tests.test_batch import by_status, make_arxiv_tar, make_papers, store_rows, write_metadata

REPO = Path(__file__).resolve().parent.parent

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install '.[ray]')")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for the whole module: starting it takes seconds."""
    if ray.is_initialized():
        ray.shutdown()
    # Workers import the test stand-ins from this checkout.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    yield
    ray.shutdown()


def batch(inputs: list[Path], out: Path, cache: Path, **options: object) -> object:
    """A run whose switches (and LLM cache) live in `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    settings = load_settings(cache_dir=cache, **options.pop("settings", {}))
    options.setdefault("workers", 2)
    options.setdefault("backends", batch_backends.SWITCHED)
    options.setdefault("progress", False)
    return run_batch(BatchOptions(inputs=inputs, out=out, settings=settings, **options))


def comparable(out: Path) -> dict[str, dict[str, object]]:
    """Store rows by sha256, with the timings (which differ run to run) taken out."""
    rows = {}
    for row in store_rows(out):
        row.pop("updated_at")
        if row["record"]:
            record = json.loads(row["record"])
            record.pop("timings_ms")
            row["record"] = record
        rows[row["sha256"]] = row
    return rows


def exports(out: Path) -> list[dict[str, object]]:
    rows = pq.read_table(out / "results.parquet").to_pylist()
    return sorted(rows, key=lambda row: row["sha256"])


def tripwire_paper(folder: Path, name: str = "tripwire.pdf") -> Path:
    title = f"A {batch_backends.TRIPWIRE} Study of the Quillfeather Optimiser"
    return pdfmaker.write_paper(folder / name, title=title)


# --- the same results -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cluster",
    [{}, {"ray_address": "auto"}],
    ids=["one node: workers read the files", "cluster address: PDFs travel as bytes"],
)
def test_ray_and_local_engines_give_identical_records_for_every_input_kind(
    local_ray: None, tmp_path: Path, cluster: dict[str, str]
) -> None:
    papers = make_papers(tmp_path / "papers", 5)
    (tmp_path / "papers" / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really a PDF\n")
    archive = tmp_path / "arXiv_pdf_2401_001.tar"
    make_arxiv_tar(archive, make_papers(tmp_path / "tar-src", 2, prefix="t"))
    from tests.test_batch import METADATA

    snapshot = write_metadata(tmp_path / "snapshot.jsonl", METADATA)
    inputs = [tmp_path / "papers", archive, snapshot]

    local = batch(inputs, tmp_path / "local", tmp_path / "cache", engine="local")
    on_ray = batch(
        inputs, tmp_path / "ray", tmp_path / "cache", engine="ray", batch_size=3, **cluster
    )

    assert (on_ray.screened, on_ray.failed, on_ray.skipped) == (
        local.screened,
        local.failed,
        local.skipped,
    )
    assert local.screened == len(papers) + 2 + len(METADATA)
    assert comparable(tmp_path / "ray") == comparable(tmp_path / "local")
    assert exports(tmp_path / "ray") == exports(tmp_path / "local")
    assert not list((tmp_path / "ray").glob(".shards/*"))  # every shard was merged


@pytest.mark.corpus
def test_the_corpus_folder_on_ray_matches_the_local_engine(
    local_ray: None, corpus: Path, tmp_path: Path
) -> None:
    pdfs = corpus / "pdfs"
    local = batch([pdfs], tmp_path / "local", tmp_path / "cache", engine="local", backends={})
    on_ray = batch([pdfs], tmp_path / "ray", tmp_path / "cache", engine="ray", backends={})
    assert on_ray.screened == local.screened == len(list(pdfs.glob("*.pdf")))
    assert comparable(tmp_path / "ray") == comparable(tmp_path / "local")
    assert exports(tmp_path / "ray") == exports(tmp_path / "local")

    def jsonl_keys(out: Path) -> list[str]:
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        return sorted(json.loads(line)["sha256"] for line in lines)

    assert jsonl_keys(tmp_path / "ray") == jsonl_keys(tmp_path / "local")


# --- workers that die -----------------------------------------------------------------------


def test_a_worker_killed_mid_run_loses_nothing(local_ray: None, tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    papers = [*make_papers(inputs, 5), tripwire_paper(inputs)]
    cache = tmp_path / "cache"

    summary = batch([inputs], tmp_path / "out", cache, engine="ray", extractor="dies-once")

    assert list(cache.glob("died-*")), "the stand-in should have killed a worker"
    rows = store_rows(tmp_path / "out")
    assert (summary.screened, summary.failed) == (len(papers), 0)
    assert len(rows) == len({row["sha256"] for row in rows}) == len(papers)
    assert {row["source"] for row in rows} == {str(p) for p in papers}
    assert all(row["status"] == "ok" for row in rows)


def test_a_paper_that_always_kills_its_worker_fails_alone(local_ray: None, tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 3)
    culprit = tripwire_paper(inputs)

    summary = batch(
        [inputs], tmp_path / "out", tmp_path / "cache", engine="ray", extractor="dies-always"
    )

    assert (summary.screened, summary.failed) == (3, 1)
    [failed] = by_status(store_rows(tmp_path / "out"), "failed")
    assert failed["source"] == str(culprit)
    assert "worker crashed" in failed["error"] and "\n" not in failed["error"]


def test_a_resumed_run_skips_finished_papers(local_ray: None, tmp_path: Path) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 5)
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = batch([inputs], out, cache, engine="ray", limit=2)
    assert first.screened == 2

    again = batch([inputs], out, cache, engine="ray")

    assert (again.screened, again.already_done) == (3, 2)
    rows = store_rows(out)
    assert len(rows) == len({row["sha256"] for row in rows}) == 5


def test_shards_left_by_a_killed_driver_are_merged_on_the_next_run(
    local_ray: None, tmp_path: Path
) -> None:
    from screener.batch.exports import rows_to_table, write_shard
    from screener.results_store import ResultsStore

    inputs = tmp_path / "papers"
    make_papers(inputs, 3)
    out, cache = tmp_path / "out", tmp_path / "cache"
    batch([inputs], out, cache, engine="ray")
    # A shard that reached the driver but was never merged (the driver was killed in between).
    with ResultsStore.open(out) as store:
        kept = list(store.rows(with_record=True))
    (out / "results.sqlite").unlink()
    write_shard(rows_to_table(kept), out, "left-over")

    again = batch([inputs], out, cache, engine="ray")

    assert (again.screened, again.already_done) == (0, 3)
    assert not list(out.glob(".shards/*.parquet"))
    assert sorted(row["sha256"] for row in store_rows(out)) == sorted(row.sha256 for row in kept)


# --- the per-paper time limit ---------------------------------------------------------------


def test_a_hanging_paper_times_out_on_ray_and_retry_failed_takes_it_up(
    local_ray: None, tmp_path: Path
) -> None:
    inputs = tmp_path / "papers"
    make_papers(inputs, 3)
    stuck = tripwire_paper(inputs)
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache.mkdir()
    (cache / "hang").touch()
    timeout = {"paper_timeout_s": 2.0}

    summary = batch([inputs], out, cache, engine="ray", parser="sleepy", settings=timeout)

    assert (summary.screened, summary.failed) == (3, 1)
    [failed] = by_status(store_rows(out), "failed")
    assert failed["source"] == str(stuck)
    assert failed["error"] == f"{stuck}: timed out after 2 s"

    (cache / "hang").unlink()
    retried = batch(
        [inputs], out, cache, engine="ray", parser="sleepy", settings=timeout, retry_failed=True
    )
    assert (retried.screened, retried.already_done) == (1, 3)
    assert all(row["status"] == "ok" for row in store_rows(out))


# --- one LLM limit for the cluster ----------------------------------------------------------


def test_llm_requests_in_flight_are_limited_across_the_cluster(
    local_ray: None, tmp_path: Path
) -> None:
    from tests.openai_server import ScriptedServer, Step
    from tests.test_batch import METADATA

    records = [
        {**record, "id": f"{record['id']}{copy}"} for copy in range(2) for record in METADATA
    ]
    snapshot = write_metadata(tmp_path / "snapshot.jsonl", records, bad_line=False)
    # Unparseable answers make every paper fall back after its requests: what counts here is
    # how many requests the server sees at once.
    with ScriptedServer([Step(raw="not json", delay_s=0.2)]) as server:
        summary = batch(
            [snapshot],
            tmp_path / "out",
            tmp_path / "cache",
            engine="ray",
            extractor="llm",
            batch_size=1,
            backends={},
            settings={
                "llm_base_url": server.base_url,
                "llm_model": "test-model",
                "llm_concurrency": 2,
                "llm_max_attempts": 1,
            },
        )
        # 2 CPUs at a quarter CPU per LLM task: up to 8 tasks run at once.
        assert summary.screened == len(records)
        assert server.count >= len(records)
        assert server.max_in_flight == 2


# --- without the extra ----------------------------------------------------------------------


def test_without_ray_the_engine_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what a missing package looks like
    make_papers(tmp_path / "papers", 1)
    with pytest.raises(ScreenerError, match=r"pip install 'screener\[ray\]'"):
        batch([tmp_path / "papers"], tmp_path / "out", tmp_path / "cache", engine="ray")
    assert not (tmp_path / "out").exists()
