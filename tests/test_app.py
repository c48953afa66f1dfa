"""The Streamlit page: uploads through `AppTest`, and the real server in headless Chromium.

Expected values come from the library (`screen_file` on the same bytes), never from constants, so
these tests check that the page shows what the CLI would say, whatever the rule table says today.

The browser test needs Debian's `chromium`; it is skipped without it locally and fails under CI
(env CI set), where .ci/run installs it. It drives Chromium over the DevTools protocol and polls
the rendered text: `chromium --dump-dom --virtual-time-budget=N` returns before Streamlit has drawn
anything (the page arrives later over a websocket, in real time), whatever N is. Its waits add up
to at most 60 s (server 20, browser 15, page 25); a normal run takes about 10 s.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pymupdf
import pytest

try:
    from streamlit.testing.v1 import AppTest
except ImportError:  # the `app` extra is not installed
    if os.environ.get("CI"):
        raise
    pytest.skip("streamlit not installed (pip install -e '.[app]')", allow_module_level=True)

from screener import app_support
from screener.design import Design
from screener.pipeline import Record, screen_file
from screener.profile import ValidityType
from screener.report import display_title, strategy_name

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"
EXAMPLE = REPO / "examples" / app_support.EXAMPLE_NAME
TIMEOUT_S = 60  # per AppTest run: generous for a loaded 2-core CI machine
PDF = "application/pdf"


# --- helpers -----------------------------------------------------------------------------------


class _TableReader(HTMLParser):
    """Rows of cell texts of an HTML table (tags dropped), to read the drawn profile matrix."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html_text: str) -> list[list[str]]:
    reader = _TableReader()
    reader.feed(html_text)
    return reader.rows


def expected_record() -> Record:
    record, _ = screen_file(EXAMPLE)
    assert record.ok, record.error
    return record


def expected_matrix(record: Record) -> list[list[str]]:
    """The profile matrix as words, the way the page must draw it (dots become '●'/'◐')."""
    assert record.profile is not None
    rows = [["strategy", *(v.value for v in ValidityType)]]
    for row in record.profile.rows:
        cells = []
        for validity in ValidityType:
            level, base = row.level(validity), row.base.get(validity)
            text = f"{app_support.LEVEL_SYMBOL[level]} {level.value}"
            cells.append(text if base in (None, level) else f"{text} (base {base.value})")
        rows.append([strategy_name(row.strategy), *cells])
    combined = [record.profile.level(v) for v in ValidityType]
    rows.append(
        ["combined", *(f"{app_support.LEVEL_SYMBOL[lv]} {lv.value}" for lv in combined if lv)]
    )
    return rows


def encrypted_pdf() -> bytes:
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "A page nobody can read without the password.")
    data = document.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner"
    )
    document.close()
    return data


def run_with_uploads(files: list[tuple[str, bytes, str]]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception
    at.file_uploader(key="uploads").set_value(files)
    at.run()
    assert not at.exception, at.exception
    return at


def profile_tables(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if 'class="screener-profile"' in m.value]


@pytest.fixture(scope="module")
def example_bytes() -> bytes:
    if not EXAMPLE.is_file():
        pytest.fail(f"{EXAMPLE} is missing: run `python scripts/make_example.py`")
    return EXAMPLE.read_bytes()


# --- AppTest: upload -> results ----------------------------------------------------------------


def test_upload_shows_profile_threats_design_and_downloads(example_bytes: bytes) -> None:
    record = expected_record()
    at = run_with_uploads([("my paper.pdf", example_bytes, PDF)])

    assert [s.value for s in at.subheader] == [app_support.escape(display_title(record))]
    (table,) = profile_tables(at)
    assert table_rows(table) == expected_matrix(record)
    labels = [e.label for e in at.expander]
    for threat in record.threats:
        assert any(threat.id in label and threat.level.value in label for label in labels)
    assert "#### Extracted design" in [m.value for m in at.markdown]
    design = next(m.value for m in at.markdown if 'class="screener-design"' in m.value)
    assert record.design is not None and record.design.treatment.value
    assert app_support.html.escape(record.design.treatment.value) in design
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["JSON report", "Markdown report", "Profile (PNG)"]
    statuses = at.get("status")
    assert [s.label for s in statuses] == ["my paper.pdf: screened"]
    assert not at.error


def test_bad_uploads_get_one_line_errors_and_the_good_one_still_shows(
    example_bytes: bytes,
) -> None:
    record = expected_record()
    at = run_with_uploads(
        [
            ("notes.pdf", b"just some text, not a PDF", PDF),
            ("empty.pdf", b"", PDF),
            ("locked.pdf", encrypted_pdf(), PDF),
            ("good.pdf", example_bytes, PDF),
        ]
    )
    errors = [e.value for e in at.error]
    assert len(errors) == 3
    assert errors[0].startswith("notes.pdf: not a PDF")
    assert errors[1] == "empty.pdf: empty file"
    assert errors[2].startswith("locked.pdf: ") and "encrypted" in errors[2]
    for error in errors:
        assert "\n" not in error and "Traceback" not in error
        assert "screener-upload-" not in error  # the temp path never shows
    assert [s.value for s in at.subheader] == [app_support.escape(display_title(record))]
    assert len(profile_tables(at)) == 1
    assert [s.label for s in at.get("status")] == [
        "notes.pdf: not screened",
        "empty.pdf: not screened",
        "locked.pdf: not screened",
        "good.pdf: screened",
    ]


def test_upload_over_the_configured_limit_is_refused(
    example_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit_mb = round(len(example_bytes) / 2 / 1024 / 1024, 4)
    monkeypatch.setenv("SCREENER_MAX_UPLOAD_MB", str(limit_mb))
    at = run_with_uploads([("big.pdf", example_bytes, PDF), ("tiny.pdf", b"%PDF-", PDF)])
    errors = [e.value for e in at.error]
    assert errors[0].startswith("big.pdf: ") and f"{limit_mb:g} MB upload limit" in errors[0]
    assert errors[1].startswith("tiny.pdf: ")  # checked by the parser, not refused for size
    assert not profile_tables(at)


def test_example_paper_via_button_and_query_parameter() -> None:
    record = expected_record()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert not profile_tables(at)
    at.button(key="example_button").click()
    at.run()
    assert [s.value for s in at.subheader] == [app_support.escape(display_title(record))]

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["example"] = "1"
    at.run()
    assert table_rows(profile_tables(at)[0]) == expected_matrix(record)


def test_api_key_is_masked_and_never_shown(
    example_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-do-not-show-4242"
    # One quick attempt, and the LLM call log in a folder this test can read back.
    monkeypatch.setenv("SCREENER_LLM_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("SCREENER_LLM_BACKOFF_BASE_S", "0")
    monkeypatch.setenv("SCREENER_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio[1].set_value("llm")
    at.run()
    key_input = next(t for t in at.sidebar.text_input if t.label == "API key")
    assert key_input.proto.type == key_input.proto.PASSWORD
    # A closed port on this machine: the LLM extractor fails (or falls back) without any network.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    next(t for t in at.sidebar.text_input if t.label == "Base URL").set_value(
        f"http://127.0.0.1:{closed_port}/v1"
    )
    next(t for t in at.sidebar.text_input if t.label == "Model").set_value("test-model")
    key_input.set_value(secret)
    at.file_uploader(key="uploads").set_value([("paper.pdf", example_bytes, PDF)])
    at.run()
    assert not at.exception
    drawn = [
        *(
            e.value
            for kind in ("markdown", "caption", "error", "info", "subheader")
            for e in at.get(kind)
        ),
        *(e.label for kind in ("expander", "status") for e in at.get(kind)),
    ]
    assert drawn and any("Cannot screen" in text or "paper.pdf" in text for text in drawn)
    assert not any(secret in text for text in drawn)
    (record,) = at.session_state["screened"].values()
    assert record.ok and "fallback" in (record.extractor or "")  # the page says what happened
    assert secret not in app_support.json_report(record)
    assert secret not in app_support.record_markdown(record)
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written  # the extractor logged its failed call ...
    assert not any(secret.encode() in path.read_bytes() for path in written)  # ... without the key


# --- helpers used by the page ------------------------------------------------------------------


def test_uploads_are_deleted_after_screening(
    example_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = app_support.settings_from_choices("pymupdf", "heuristic")
    parser, extractor = app_support.build_backends(settings)
    for name, data in (("../../escape.pdf", example_bytes), ("bad.pdf", b"nope")):
        record = app_support.screen_upload(
            app_support.Upload(name, data), parser, extractor, settings
        )
        assert record.source == name
    assert list(tmp_path.iterdir()) == []
    assert app_support.safe_filename("../../etc/pass wd.pdf") == "pass_wd.pdf"


def test_paper_text_is_escaped_in_html_and_markdown() -> None:
    hostile = '<img src=x onerror="alert(1)"> $x^2$ *bold* [link](http://example.org)'
    design = Design.model_validate(
        {"treatment": {"value": hostile, "evidence": [{"quote": hostile, "page": 2}]}}
    )
    html_text = app_support.design_html(design)
    assert "<img" not in html_text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html_text
    record = Record(source="x.pdf", design=design)
    record.document.title = hostile
    at = AppTest.from_function(_render_one, args=(record.model_dump_json(),))
    at.run()
    assert not at.exception
    (subheader,) = at.subheader
    assert "<img" not in subheader.value and r"\$x^2\$" in subheader.value
    assert r"\*bold\*" in subheader.value and r"\[link\]" in subheader.value


def _render_one(record_json: str) -> None:
    from screener import app_support
    from screener.pipeline import Record

    app_support.render_record(Record.model_validate_json(record_json), key="one")


def test_settings_from_choices_keeps_the_key_secret() -> None:
    settings = app_support.settings_from_choices(
        "grobid", "llm", "http://127.0.0.1:8070", "http://127.0.0.1:9/v1", "m", " sk-abc "
    )
    assert settings.parser == "grobid" and settings.grobid_url == "http://127.0.0.1:8070"
    assert settings.llm_base_url == "http://127.0.0.1:9/v1" and settings.llm_model == "m"
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-abc"
    assert "sk-abc" not in repr(settings) and "sk-abc" not in app_support.settings_fingerprint(
        settings
    )
    other = app_support.settings_from_choices(
        "grobid", "llm", "http://127.0.0.1:8070", "http://127.0.0.1:9/v1", "m", "sk-xyz"
    )
    assert app_support.settings_fingerprint(settings) != app_support.settings_fingerprint(other)


# --- survey tab --------------------------------------------------------------------------------


def _write_results(path: Path) -> None:
    """A hand-made batch result: five rows, four screened (three in scope), one failed."""
    import pandas as pd

    rows = [
        ("a", True, ["proxy_model"], ("ok", "ok", "key", "ok"), ["EXT-SCALE"]),
        ("b", True, ["proxy_model", "proxy_outcome"], ("careful", "ok", "key", "key"),
         ["EXT-SCALE", "CON-OUTCOME"]),
        ("c", True, ["observational"], ("key", "key", "careful", "ok"), ["INT-CONFOUND"]),
        ("d", False, [], (None, None, None, None), []),
    ]  # fmt: skip
    records = [
        {"sha256": sha, "id": f"2401.0000{i}", "source": f"{sha}.pdf", "level": "fulltext",
         "title": f"Paper {sha}", "year": 2023 + i % 2, "categories": ["cs.LG"],
         "strategies": strategies, "primary_strategy": strategies[0] if strategies else None,
         "in_scope": in_scope, **dict(zip([v.value for v in ValidityType], levels, strict=True)),
         "threat_ids": threats, "extractor": "heuristic", "parser": "pymupdf",
         "rules_version": "1", "error": None, "status": "ok"}
        for i, (sha, in_scope, strategies, levels, threats) in enumerate(rows)
    ]  # fmt: skip
    failed = {**records[-1], "sha256": "e", "id": None, "in_scope": None, "status": "failed",
              "error": "e.pdf: empty file"}  # fmt: skip
    pd.DataFrame([*records, failed]).to_parquet(path)


def test_survey_view_numbers_on_a_hand_made_results_file(tmp_path: Path) -> None:
    path = tmp_path / "results.parquet"
    _write_results(path)
    view = app_support.survey_view(path, reps=200)
    assert view.counts == {"rows": 5, "papers": 4, "in scope": 3, "failed": 1, "skipped": 0}
    prevalence = view.tables["Strategy prevalence"].set_index("strategy")["share"]
    assert prevalence["proxy_model"] == pytest.approx(2 / 3)
    assert prevalence["observational"] == pytest.approx(1 / 3)
    assert prevalence["target_experiment"] == 0
    keys = view.tables["Key threat per validity type"].set_index("validity")["share"]
    assert keys.to_dict() == pytest.approx(
        {"statistical": 1 / 3, "internal": 1 / 3, "external": 2 / 3, "construct": 1 / 3}
    )
    assert {"prevalence", "key_threats", "threats"} <= view.figures.keys()
    assert all(png.startswith(b"\x89PNG") for png in view.figures.values())


def test_survey_tab_draws_a_results_file(tmp_path: Path) -> None:
    path = tmp_path / "results.parquet"
    _write_results(path)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    at.number_input[0].set_value(100)
    at.text_input(key="survey_path").set_value(str(path))
    at.run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric] == ["5", "4", "3", "1", "0"]
    assert len(at.get("image")) >= 3


def _write_calibration(path: Path, rules_version: str) -> Path:
    """An evaluation JSON for the hand-made results' configuration (heuristic, pymupdf)."""
    from screener import calibration as cal

    scope, proxy = {"in_scope"}, {"in_scope", "strategy:proxy_model"}
    pairs = [(proxy, proxy)] * 8 + [(proxy, scope)] * 2 + [(scope, scope)] * 10
    pairs += [(set(), set())] * 10
    papers = [(f"g{i}", frozenset(g), frozenset(p)) for i, (g, p) in enumerate(pairs)]
    versions = cal.configuration("heuristic", ["heuristic"], ["pymupdf"], rules_version)
    path.write_text(json.dumps({"calibration": cal.calibration_block(papers, versions)}))
    return path


def test_committed_calibrations_put_the_newest_heuristic_first(tmp_path: Path) -> None:
    for name in (
        "heuristic-pymupdf-2026-01-01",
        "heuristic-pymupdf-2026-02-01",
        "llm-x-2026-03-01",
    ):
        _write_calibration(tmp_path / f"{name}.json", "1")
    (tmp_path / "heuristic-pymupdf-2026-04-01.json").write_text('{"n_papers": 3}')  # no block
    found = app_support.committed_calibrations([tmp_path])
    assert [p.stem for p in found] == [
        "heuristic-pymupdf-2026-02-01", "heuristic-pymupdf-2026-01-01", "llm-x-2026-03-01",
    ]  # fmt: skip
    # The page's default is the committed evaluation of the offline extractor.
    committed = app_support.committed_calibrations()
    assert committed and committed[0].name.startswith("heuristic-pymupdf")


def test_survey_view_shows_raw_beside_corrected(tmp_path: Path) -> None:
    path = tmp_path / "results.parquet"
    _write_results(path)
    calibration = _write_calibration(tmp_path / "eval.json", "1")
    view = app_support.survey_view(path, reps=200, calibration=calibration)
    assert view.notices == ()
    table = view.comparison["Strategy prevalence"].set_index("measure")
    assert table.loc["proxy_model", "raw [95% CI]"].startswith("67% [")
    assert table.loc["proxy_model", "sensitivity"] == 0.8
    assert table.loc["observational", "corrected [95% CI]"] == "unstable"
    assert table.loc["observational", "flag"] == "no gold positives: sensitivity unknown"
    assert list(view.comparison) == ["Strategy prevalence", "Key threat per validity type"]

    refused = app_support.survey_view(path, reps=0, calibration=tmp_path / "missing.json")
    assert refused.comparison == {}
    assert refused.notices == (f"Calibration not applied: {tmp_path}/missing.json: "
                               "calibration file not found",)  # fmt: skip


def test_survey_tab_applies_a_calibration_and_flags_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "results.parquet"
    _write_results(path)
    calibration = _write_calibration(tmp_path / "eval.json", "2.0.0")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    at.number_input[0].set_value(100)
    at.text_input(key="survey_path").set_value(str(path))
    at.text_input(key="survey_calibration_path").set_value(str(calibration))
    at.run()
    assert not at.exception and not at.error
    [warning] = [w.value for w in at.warning]
    assert "Calibration not applied" in warning and "rules version 2.0.0" in warning
    at.checkbox(key="survey_allow").check()
    at.run()
    assert not at.exception and not at.error
    assert any("calibration mismatch (allowed)" in w.value for w in at.warning)
    shown = [frame.value for frame in at.dataframe]
    assert any("corrected [95% CI]" in frame.columns for frame in shown)


def test_survey_tab_refuses_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    at.file_uploader(key="survey_upload").set_value(
        ("results.parquet", b"sha256,title\n", "application/octet-stream")
    )
    at.run()
    assert [e.value for e in at.error] == [
        app_support.escape("results.parquet: not a batch results file (ArrowInvalid)")
    ]
    at.file_uploader(key="survey_upload").set_value(None)
    at.text_input(key="survey_path").set_value(str(tmp_path / "nothing-here"))
    at.run()
    assert [e.value for e in at.error] == [
        app_support.escape(f"{tmp_path}/nothing-here: not found")
    ]


# --- the real server in headless Chromium ------------------------------------------------------


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_http(url: str, deadline: float, process: subprocess.Popen[bytes], log: Path) -> str:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{url}: server exited with {process.returncode}: {log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer in time: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a process we started (and its children, which share its session)."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


@pytest.fixture
def app_server(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`streamlit run app.py` on a free port of 127.0.0.1; always stopped after the test."""
    port = _free_port()
    log = tmp_path / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    request.addfinalizer(lambda: _stop(process))
    url = f"http://127.0.0.1:{port}"
    assert _wait_http(f"{url}/_stcore/health", time.monotonic() + 20, process, log) == "ok"
    return url


class _DevTools:
    """The few Chrome DevTools protocol calls the test needs, over one page's websocket."""

    def __init__(self, websocket_url: str) -> None:
        from websockets.sync.client import connect  # installed with streamlit

        self._stack = contextlib.ExitStack()
        self._socket = self._stack.enter_context(
            connect(websocket_url, max_size=None, open_timeout=10)
        )
        self._next_id = 0

    def call(self, method: str, **params: object) -> dict:
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:  # events arrive in between; skip them
            message = json.loads(self._socket.recv(timeout=15))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def text(self) -> str:
        result = self.call("Runtime.evaluate", expression="document.body.innerText")
        return result["result"].get("value", "")

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> _DevTools:
    """Headless Chromium with a fresh profile and no background traffic; always stopped."""
    profile = tmp_path / "chromium-profile"
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
        f"--user-data-dir={profile}", "--window-size=1280,2000", "about:blank",
    ]  # fmt: skip
    log = tmp_path / "chromium.log"
    port_file = profile / "DevToolsActivePort"
    port_file.unlink(missing_ok=True)  # a stale one would name a dead browser's port
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    request.addfinalizer(lambda: _stop(process))
    # Chromium writes the port it picked into the profile folder.
    deadline = time.monotonic() + 15
    while not (port_file.is_file() and port_file.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            pytest.fail(f"chromium did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    port = int(port_file.read_text().split()[0])
    targets = json.loads(_wait_http(f"http://127.0.0.1:{port}/json/list", deadline, process, log))
    page = next(t for t in targets if t["type"] == "page")
    devtools = _DevTools(page["webSocketDebuggerUrl"])
    request.addfinalizer(devtools.close)
    return devtools


def test_served_page_shows_the_example_profile_in_chromium(
    browser: _DevTools, app_server: str, tmp_path: Path
) -> None:
    record = expected_record()
    title = display_title(record)
    combined = expected_matrix(record)[-1]
    browser.call("Page.enable")
    browser.call("Page.navigate", url=f"{app_server}/?example=1")
    # Streamlit draws over a websocket after load: poll the rendered text until the matrix is in.
    deadline = time.monotonic() + 25
    text = ""
    while time.monotonic() < deadline:
        text = browser.text()
        if title in text and "combined" in text and "JSON report" in text:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # let the sidebar's slide-in finish, for a screenshot a person can read
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    screenshot = Path(os.environ.get("SCREENER_APP_SCREENSHOT") or tmp_path / "page.png")
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    assert title in text, text[-3000:]
    # The combined row as the browser shows it: 'combined', then one '● level' per validity type.
    combined_line = next(line for line in text.splitlines() if line.startswith("combined"))
    assert combined_line.split() == " ".join(combined).split()
    assert "key" in combined_line
    for threat in record.threats:
        assert threat.id in text
    assert screenshot.stat().st_size > 10_000
