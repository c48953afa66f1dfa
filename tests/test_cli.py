"""The `screener` command end to end, run as a user would run it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pdfmaker

REPO = Path(__file__).resolve().parent.parent

EXAMPLE = REPO / "examples" / "data-mix-ablation.pdf"
RECORD_KEYS = {
    "source",
    "sha256",
    "document",
    "design",
    "profile",
    "threats",
    "rules_version",
    "parser",
    "extractor",
    "error",
}


def screener(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screener", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each kind of bad input with a word its error line must contain."""
    folder = tmp_path_factory.mktemp("bad")
    not_pdf = folder / "notes.pdf"
    not_pdf.write_text("these are plain-text notes, not a PDF\n")
    empty = folder / "empty.pdf"
    empty.write_bytes(b"")
    directory = folder / "folder.pdf"
    directory.mkdir()
    return {
        "missing": (folder / "missing.pdf", "not found"),
        "directory": (directory, "directory"),
        "not_pdf": (not_pdf, "not a PDF"),
        "empty": (empty, "empty"),
        "truncated": (pdfmaker.write_truncated_pdf(folder / "truncated.pdf"), ""),
        "encrypted": (pdfmaker.write_encrypted_pdf(folder / "locked.pdf"), "encrypted"),
        "scanned": (pdfmaker.write_scanned_pdf(folder / "scan.pdf"), "text"),
    }


def test_example_paper_is_screened_with_a_profile() -> None:
    result = screener("screen", EXAMPLE)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Validity profile" in out
    assert "combined" in out
    assert "EXT-SCALE" in out
    assert "Traceback" not in result.stderr


def test_json_lines_have_the_contract_keys() -> None:
    result = screener("screen", "--json", EXAMPLE, EXAMPLE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert set(record) >= RECORD_KEYS
    assert {"title", "abstract", "pages"} <= set(record["document"])
    assert {"statistical", "internal", "external", "construct", "rows"} <= set(record["profile"])
    assert record["profile"]["external"] == "key"
    assert record["error"] is None
    assert len(record["sha256"]) == 64
    assert record["extractor"] == "heuristic"
    assert record["parser"].startswith("pymupdf")


def test_each_bad_input_is_one_line_and_the_good_paper_still_prints(bad_inputs, tmp_path) -> None:
    paths = [path for path, _ in bad_inputs.values()]
    result = screener("screen", "--json", paths[0], EXAMPLE, *paths[1:])
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == len(bad_inputs)
    for (path, word), line in zip(bad_inputs.values(), error_lines, strict=True):
        assert str(path) in line
        assert word.lower() in line.lower()
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(bad_inputs) + 1
    good = [r for r in records if r["error"] is None]
    assert [r["source"] for r in good] == [str(EXAMPLE)]
    assert good[0]["profile"]["external"] == "key"


def test_bad_input_in_terminal_mode_still_renders_the_good_paper(bad_inputs) -> None:
    missing, _ = bad_inputs["missing"]
    result = screener("screen", missing, EXAMPLE)
    assert result.returncode == 1
    assert result.stderr.strip() == f"screener: {missing}: file not found"
    assert "Validity profile" in result.stdout


def test_out_writes_json_markdown_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = screener("screen", EXAMPLE, "--out", out, "--figure")
    assert result.returncode == 0, result.stderr
    stem = EXAMPLE.stem
    record = json.loads((out / f"{stem}.json").read_text())
    assert record["profile"]["external"] == "key"
    markdown = (out / f"{stem}.md").read_text()
    assert "EXT-SCALE" in markdown
    assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_judge_runs_the_rules_on_a_codebook_design(tmp_path: Path) -> None:
    design = {
        "id": "fictional-1",
        "in_scope": True,
        "strategies": ["observational", "proxy_treatment"],
        "primary_strategy": "observational",
        "n_models": 14,
        "pooled_families": True,
    }
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design))
    result = screener("judge", path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["profile"]["construct"] == "key"
    assert out["profile"]["internal"] == "key"
    ids = {t["id"] for t in out["threats"]}
    assert {"INT-CONFOUNDING", "CON-TREATMENT", "STAT-SMALL-N", "EXT-POOLING"} <= ids
    assert out["rules_version"]


def test_judge_reports_invalid_designs_in_one_line(tmp_path: Path) -> None:
    lines = tmp_path / "designs.jsonl"
    lines.write_text(
        json.dumps({"in_scope": True, "strategies": ["proxy_model"]})
        + "\n"
        + json.dumps({"in_scope": True, "strategies": ["no_such_strategy"]})
        + "\n"
    )
    result = screener("judge", lines)
    assert result.returncode == 1
    assert len(result.stdout.strip().splitlines()) == 1
    assert result.stderr.startswith(f"screener: {lines}:2: not a valid design")
    assert "Traceback" not in result.stderr


def test_schema_prints_the_design_json_schema() -> None:
    result = screener("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    for field in (
        "in_scope",
        "strategies",
        "primary_strategy",
        "treatment",
        "outcome",
        "proxies",
        "identification",
        "repeated_runs",
        "n_models",
        "pooled_families",
        "target_validation",
    ):
        assert field in schema["properties"]


def test_unknown_backend_is_a_clear_error() -> None:
    result = screener("screen", "--extractor", "nope", EXAMPLE)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_llm_flags_reach_the_extractor_and_a_failing_server_falls_back(tmp_path: Path) -> None:
    from tests.openai_server import ScriptedServer, Step

    env_cache = tmp_path / "cache"
    with ScriptedServer([Step(status=500, error_body={"error": {"message": "boom"}})]) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "screener",
                "screen",
                "--json",
                str(EXAMPLE),
                "--extractor",
                "llm",
                "--base-url",
                server.base_url,
                "--model",
                "tiny-test-model",
                "--llm-attempts",
                "2",
                "--llm-mode",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "SCREENER_CACHE_DIR": str(env_cache), "OPENAI_API_KEY": ""},
        )
        seen = list(server.requests)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert len(seen) == 2
    assert seen[0].body["model"] == "tiny-test-model"
    assert "tools" not in seen[0].body
    assert record["extractor"] == "heuristic (fallback: llm failed after 2 attempts: HTTP 500)"
    assert record["profile"]["external"] == "key"
