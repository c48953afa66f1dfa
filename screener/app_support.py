"""What the Streamlit page (`app.py`) draws, built only from the calls the CLI makes.

An upload goes through `screen_file` exactly like a file named on the command line: its bytes are
written to a private temp folder under the uploaded name, screened, and deleted. The page then
draws the record with the report vocabulary (`screener.report`), so the page, the terminal and
the Markdown report never disagree.

Paper text is untrusted: it is HTML-escaped wherever it goes into HTML, and Markdown-escaped
wherever Streamlit renders Markdown (titles, quotes, error lines), so a paper cannot inject tags,
links or LaTeX into the page.

The API key typed into the sidebar lives only in the `Settings` object handed to the extractor
(a `SecretStr`), and in Streamlit's in-memory widget state; it is never written, logged, shown,
or put into a record.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import SecretStr

from screener import survey
from screener.design import Design
from screener.errors import ScreenerError
from screener.extract import EXTRACTORS, Extractor, get_extractor
from screener.parse import PARSERS, Parser, get_parser
from screener.parse.grobid import DEFAULT_URL as GROBID_DEFAULT_URL
from screener.pipeline import Record, record_json, screen_file
from screener.profile import Level, Threat
from screener.report import (
    LEVEL_HEX,
    LEVEL_SYMBOL,
    NO_LEVEL,
    NOT_DETECTED,
    confidence_label,
    design_fields,
    display_title,
    error_line,
    escape,
    header_facts,
    not_applicable_reason,
    page_prefix,
    profile_figure,
    record_markdown,
    shorten,
    strategy_name,
    usage_line,
    validity_types,
)
from screener.rules import RULES_VERSION
from screener.settings import Settings, load_settings

log = logging.getLogger(__name__)

EXAMPLE_NAME = "data-mix-ablation.pdf"
PARSER_LABELS = {"pymupdf": "PyMuPDF (built in)", "grobid": "GROBID (a server you run)"}
EXTRACTOR_LABELS = {"heuristic": "Offline (heuristic)", "llm": "LLM (OpenAI-compatible)"}
MAX_QUOTES = 3
# Screened records kept per browser session, so reruns (a click anywhere) do not screen again.
SESSION_CACHE_SIZE = 64
_MB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it."""

    name: str
    data: bytes


# --- settings ----------------------------------------------------------------------------------


def settings_from_choices(
    parser: str,
    extractor: str,
    grobid_url: str | None = None,
    llm_base_url: str | None = None,
    llm_model: str | None = None,
    api_key: str | None = None,
) -> Settings:
    """Settings from the environment with the sidebar's choices on top (empty fields keep env)."""
    settings = load_settings(parser=parser, extractor=extractor)
    update: dict[str, Any] = {}
    # model_copy sets fields by name: the LLM fields have env-only validation aliases, which
    # keyword arguments to Settings(...) would not reach.
    for name, value in (
        ("grobid_url", grobid_url),
        ("llm_base_url", llm_base_url),
        ("llm_model", llm_model),
    ):
        if value and value.strip():
            update[name] = value.strip()
    if api_key and api_key.strip():
        update["openai_api_key"] = SecretStr(api_key.strip())
    return settings.model_copy(update=update) if update else settings


def settings_fingerprint(settings: Settings) -> str:
    """What decides a screening, as a short digest; the key enters only as part of a hash."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    parts = [
        settings.parser,
        settings.extractor,
        settings.grobid_url or "",
        settings.llm_base_url or "",
        settings.llm_model or "",
        key,
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def prompt_version() -> str:
    """The LLM prompt's name, version and hash prefix, or 'n/a' when there is none to load."""
    try:
        from screener.extract.prompt import load_prompt

        prompt = load_prompt("extract_design")
    except (ImportError, ScreenerError, OSError):
        return "n/a"
    return f"{prompt.label} ({prompt.sha256[:12]})"


# --- screening ---------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """The uploaded name reduced to a harmless file name (no folders, no odd characters)."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.+-]+", "_", base).strip("._") or "upload"
    return base[:120]


def upload_problem(upload: Upload, max_mb: float) -> str | None:
    """Why an upload is refused before parsing, or None."""
    if len(upload.data) > max_mb * _MB:
        size = len(upload.data) / _MB
        return f"{size:.1f} MB is over the {max_mb:g} MB upload limit (SCREENER_MAX_UPLOAD_MB)"
    return None


def screen_upload(
    upload: Upload, parser: Parser, extractor: Extractor, settings: Settings
) -> Record:
    """Screen uploaded bytes with the CLI's pipeline; the record names the upload."""
    problem = upload_problem(upload, settings.max_upload_mb)
    if problem:
        return Record(source=upload.name, error=f"{upload.name}: {problem}")
    with tempfile.TemporaryDirectory(prefix="screener-upload-") as folder:
        path = Path(folder) / safe_filename(upload.name)
        path.write_bytes(upload.data)
        try:
            record, _ = screen_file(path, parser, extractor, settings)
        except Exception as exc:  # the page's boundary: one bad paper must not stop the others
            log.error("screening %s failed: %s", upload.name, type(exc).__name__)
            record = Record(
                source=str(path), error=f"{path}: unexpected {type(exc).__name__} while screening"
            )
    # The temp path means nothing to the user (and is gone): name the file they uploaded.
    if record.error:
        record.error = record.error.replace(str(path), upload.name)
    record.source = upload.name
    return record


def build_backends(settings: Settings) -> tuple[Parser, Extractor]:
    """The parser and extractor the sidebar chose; a ScreenerError says what is wrong."""
    return get_parser(settings.parser, settings), get_extractor(settings.extractor, settings)


def read_example(folder: Path) -> Upload | None:
    path = folder / EXAMPLE_NAME
    return Upload(EXAMPLE_NAME, path.read_bytes()) if path.is_file() else None


# --- drawing helpers (pure: strings in, strings out) -------------------------------------------


def level_html(level: Level | None, base: Level | None = None, bold: bool = False) -> str:
    """A coloured dot and the level's word, so the matrix reads without colour too."""
    if level is None:
        return f'<span style="color:#888888">{NO_LEVEL}</span>'
    word = f"<b>{level.value}</b>" if bold else level.value
    dot = f'<span style="color:{LEVEL_HEX[level]};font-size:1.25em">{LEVEL_SYMBOL[level]}</span>'
    cell = f"{dot} {word}"
    if base is not None and base != level:
        cell += f' <span style="color:#666666;font-size:0.8em">(base {base.value})</span>'
    return cell


def profile_html(record: Record) -> str:
    """The profile matrix like the framework paper's Table 1: strategy rows, then combined."""
    reason = not_applicable_reason(record)
    if reason is not None or record.profile is None:
        return f"<p><i>Not applicable — {html.escape(reason or '')}.</i></p>"
    columns = validity_types()
    head = "".join(f"<th>{html.escape(v.value)}</th>" for v in columns)
    rows = [f"<tr><th>strategy</th>{head}</tr>"]
    for row in record.profile.rows:
        cells = "".join(f"<td>{level_html(row.level(v), row.base.get(v))}</td>" for v in columns)
        rows.append(f"<tr><td>{html.escape(strategy_name(row.strategy))}</td>{cells}</tr>")
    combined = "".join(
        f"<td>{level_html(record.profile.level(v), bold=True)}</td>" for v in columns
    )
    rows.append(f'<tr style="border-top:2px solid #555555"><td><b>combined</b></td>{combined}</tr>')
    # One HTML block with no blank lines: Markdown leaves it alone (no math, no emphasis).
    return '<table class="screener-profile">' + "".join(rows) + "</table>"


LEGEND = (
    f'<span style="color:{LEVEL_HEX[Level.OK]}">●</span> ok · '
    f'<span style="color:{LEVEL_HEX[Level.CAREFUL]}">◐</span> careful · '
    f'<span style="color:{LEVEL_HEX[Level.KEY]}">●</span> key — '
    "<i>combined</i> is the paper-level profile; “base” is the level before a threat or mitigation."
)


# Streamlit's Markdown colour names closest to the report colours (expander labels take no HTML).
LEVEL_COLOUR_NAME = {Level.OK: "green", Level.CAREFUL: "orange", Level.KEY: "red"}


def threat_label(threat: Threat) -> str:
    """The expander's one-line title: level first, so the key threats stand out."""
    dot = f":{LEVEL_COLOUR_NAME[threat.level]}[{LEVEL_SYMBOL[threat.level]}]"
    level = threat.level.value
    if threat.base_level != threat.level:
        level += f" (base {threat.base_level.value}{', mitigated' if threat.mitigated else ''})"
    return f"{dot} {level} · {threat.validity.value} · {threat.id} — {escape(threat.name)}"


def _quote_markdown(quote: str, page_text: str, limit: int = 400) -> str:
    return f"> {page_text}: “{escape(shorten(quote, limit))}”"


def threat_markdown(threat: Threat) -> str:
    """Level, assumption, explanation and quoted evidence of one threat, Markdown-escaped."""
    level = f"{threat.level.value}"
    if threat.base_level != threat.level:
        level += f" (base {threat.base_level.value})"
    lines = [f"**Level:** {level} · **validity:** {threat.validity.value}"]
    if threat.assumption:
        text = f" — {threat.assumption_text}" if threat.assumption_text else ""
        lines.append(f"**Assumption:** {escape(threat.assumption + text)}")
    blocks = ["  \n".join(lines), escape(threat.explanation)]
    blocks += [_quote_markdown(e.quote, page_prefix(e)) for e in threat.evidence[:MAX_QUOTES]]
    if len(threat.evidence) > MAX_QUOTES:
        blocks.append(f"*(+{len(threat.evidence) - MAX_QUOTES} more quotes in the reports)*")
    for mitigation in threat.mitigations:
        blocks.append(f"**Mitigated:** {escape(mitigation.description)}")
        blocks += [
            _quote_markdown(e.quote, page_prefix(e)) for e in mitigation.evidence[:MAX_QUOTES]
        ]
    blocks += [f"*Note:* {escape(note)}" for note in threat.notes]
    return "\n\n".join(blocks)


def design_html(design: Design | None) -> str:
    """The extracted design as a table: field, value, confidence, the quote it rests on."""
    if design is None:
        return f"<p><i>{NOT_DETECTED}</i></p>"
    rows = ["<tr><th>field</th><th>value</th><th>confidence</th><th>evidence</th></tr>"]
    for view in design_fields(design):
        value = (
            html.escape(view.value)
            if view.value is not None
            else f'<i style="color:#888888">{NOT_DETECTED}</i>'
        )
        quote = ""
        if view.evidence is not None:
            where = html.escape(page_prefix(view.evidence))
            quote = f"{where}: “{html.escape(shorten(view.evidence.quote, 300))}”"
        rows.append(
            f"<tr><td>{html.escape(view.label)}</td><td>{value}</td>"
            f"<td>{confidence_label(view.confidence)}</td><td>{quote}</td></tr>"
        )
    return '<table class="screener-design">' + "".join(rows) + "</table>"


def header_markdown(record: Record) -> str:
    facts = [f"{label}: {value}" for label, value in header_facts(record)]
    usage = usage_line(record)
    if usage:
        facts.append(f"usage: {usage}")
    return escape(" · ".join(facts))


def json_report(record: Record) -> str:
    return json.dumps(record_json(record), indent=2, ensure_ascii=False) + "\n"


def figure_png(record: Record) -> bytes:
    """The matrix as the PNG the CLI writes (drawn into a temp file that is then removed)."""
    with tempfile.TemporaryDirectory(prefix="screener-figure-") as folder:
        return profile_figure(record, Path(folder) / "profile.png").read_bytes()


def report_stem(record: Record) -> str:
    return Path(safe_filename(record.source)).stem or "paper"


# --- survey (batch results) --------------------------------------------------------------------

DEFAULT_REPS = 1000
NO_CALIBRATION = "none (raw shares only)"


@dataclass(frozen=True)
class SurveyView:
    """Everything the survey tab draws, computed by `screener.survey` like `screener survey`."""

    counts: dict[str, int]
    summary: list[str]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, bytes]
    # Raw beside corrected, per kind, when a calibration applies; else empty.
    comparison: dict[str, pd.DataFrame] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # calibration refused or applied despite a mismatch


def committed_calibrations(roots: list[Path] | None = None) -> list[Path]:
    """Evaluation JSONs with a calibration block, heuristic ones first, newest first: the
    first one is the tab's default (the committed evaluation of the offline extractor)."""
    here = Path(__file__).resolve().parent.parent
    roots = roots or [Path.cwd() / "eval" / "results", here / "eval" / "results"]
    found: dict[Path, Path] = {}
    for root in roots:
        for path in sorted(root.glob("*.json")) if root.is_dir() else []:
            if path.resolve() not in found and _has_calibration(path):
                found[path.resolve()] = path
    newest = sorted(found.values(), key=lambda path: path.name, reverse=True)
    return sorted(newest, key=lambda path: not path.name.startswith("heuristic-"))


def _has_calibration(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("calibration"), dict)


def _calibrate(
    frame: pd.DataFrame, path: Path, calibration: Path | None, allow_mismatch: bool
) -> tuple[Any, list[str], tuple[str, ...]]:
    """(calibration or None, report warnings, notices for the page); a refusal is a notice."""
    from screener import calibration as cal

    if calibration is None:
        return None, [], ()
    try:
        loaded = cal.load_calibration(calibration)
        read_prompts = bool(loaded.versions.get("prompt"))
        batch = survey.batch_configuration(frame, survey.records_path(path), read_prompts)
        warnings = survey.apply_calibration(loaded, batch, allow_mismatch)
    except ScreenerError as exc:
        return None, [], (f"Calibration not applied: {exc}",)
    return loaded, warnings, tuple(f"Warning: {w}" for w in warnings)


def survey_view(
    path: Path,
    reps: int = DEFAULT_REPS,
    name: str = "",
    calibration: Path | None = None,
    allow_mismatch: bool = False,
) -> SurveyView:
    """The survey of a batch's results (a results.parquet, or the folder a batch wrote)."""
    name = name or str(path)
    try:
        frame = survey.load_results(path)
        loaded, warnings, notices = _calibrate(frame, path, calibration, allow_mismatch)
        result = survey.compute_survey(frame, reps=reps, calibration=loaded, warnings=warnings)
    except ScreenerError as exc:
        raise ScreenerError(str(exc).replace(str(path), name)) from exc
    except Exception as exc:  # pyarrow and pandas raise many types for a file of another shape
        raise ScreenerError(f"{name}: not a batch results file ({type(exc).__name__})") from exc
    with tempfile.TemporaryDirectory(prefix="screener-survey-") as folder:
        figures = survey.write_figures(result, Path(folder))
        pngs = {key: figure.read_bytes() for key, figure in figures.items()}
    counts = {
        "rows": result.n_rows,
        "papers": result.n_papers,
        "in scope": result.n_in_scope,
        "failed": result.n_failed,
        "skipped": result.n_skipped,
    }
    tables = {
        "Strategy prevalence": result.prevalence,
        "Key threat per validity type": result.key_threats,
        "Threat frequency": result.threats,
        "Strategy co-occurrence (pairs)": result.cooccurrence,
        "Trends by year": result.trends,
        "By arXiv primary category": result.categories,
    }
    comparison = {}
    if result.corrected is not None:
        comparison = {
            "Strategy prevalence": comparison_table(result, "strategy"),
            "Key threat per validity type": comparison_table(result, "key_threat"),
        }
    summary = survey.summary_lines(result)
    if result.corrected is not None:
        summary = summary[:1]  # the comparison tables say the rest, better than fixed-width text
    return SurveyView(counts, summary, tables, pngs, comparison, notices)


def comparison_table(result: survey.Survey, kind: str) -> pd.DataFrame:
    """Raw and corrected share side by side; an unstable correction shows why, not a number."""
    rows = survey.corrected_view(result, kind)

    def cell(share: float, low: float, high: float) -> str:
        if math.isnan(share):
            return "–"
        return f"{share:.0%}" if math.isnan(low) else f"{share:.0%} [{low:.0%}, {high:.0%}]"

    return pd.DataFrame(
        {
            "measure": rows["measure"],
            "raw [95% CI]": [cell(r.raw, r.raw_ci_low, r.raw_ci_high) for r in rows.itertuples()],
            "corrected [95% CI]": [
                "unstable" if r.unstable else cell(r.corrected, r.ci_low, r.ci_high)
                for r in rows.itertuples()
            ],
            "sensitivity": rows["sensitivity"],
            "specificity": rows["specificity"],
            "flag": rows["note"],
        }
    )


def survey_view_of_upload(
    name: str,
    data: bytes,
    reps: int,
    calibration: Path | None = None,
    allow_mismatch: bool = False,
) -> SurveyView:
    """An uploaded results.parquet, surveyed from a temp copy that is then deleted."""
    with tempfile.TemporaryDirectory(prefix="screener-survey-") as folder:
        path = Path(folder) / "results.parquet"
        path.write_bytes(data)
        return survey_view(path, reps, name, calibration, allow_mismatch)


# --- Streamlit pages ---------------------------------------------------------------------------


def sidebar() -> Settings:
    """Parser, extractor and their options; shows the rule-set and prompt versions."""
    defaults = load_settings()
    st.sidebar.header("Settings")
    parsers = [name for name in PARSER_LABELS if name in PARSERS]
    parser = st.sidebar.radio(
        "Parser", parsers, format_func=PARSER_LABELS.get, index=_index(parsers, defaults.parser)
    )
    grobid_url = None
    if parser == "grobid":
        grobid_url = st.sidebar.text_input(
            "GROBID URL", value=defaults.grobid_url or GROBID_DEFAULT_URL
        )
    extractors = [name for name in EXTRACTOR_LABELS if name in EXTRACTORS]
    extractor = st.sidebar.radio(
        "Extractor",
        extractors,
        format_func=EXTRACTOR_LABELS.get,
        index=_index(extractors, defaults.extractor),
    )
    base_url = model = api_key = None
    if extractor == "llm":
        base_url = st.sidebar.text_input("Base URL", value=defaults.llm_base_url or "")
        model = st.sidebar.text_input("Model", value=defaults.llm_model or "")
        env_key = "an API key is set in the environment" if defaults.openai_api_key else ""
        # type="password": the browser masks it; the value is never drawn back into the page.
        api_key = st.sidebar.text_input(
            "API key", type="password", placeholder=env_key or "optional for local servers"
        )
    st.sidebar.divider()
    st.sidebar.caption(f"rules: {RULES_VERSION}  \nprompt: {escape(prompt_version())}")
    st.sidebar.caption(f"upload limit: {defaults.max_upload_mb:g} MB per file")
    return settings_from_choices(parser, extractor, grobid_url, base_url, model, api_key)


def _index(options: list[str], wanted: str) -> int:
    return options.index(wanted) if wanted in options else 0


def screen_page(settings: Settings, example_folder: Path) -> None:
    """Upload PDFs (or take the example), screen each, and draw every result."""
    st.write(
        "Upload one or more ML papers (PDF). Each is screened offline by default: the research "
        "design is extracted and judged by the versioned rule set. Files are deleted after "
        "screening."
    )
    files = st.file_uploader(
        "PDF files",
        type=["pdf"],
        accept_multiple_files=True,
        max_upload_size=max(1, math.ceil(settings.max_upload_mb)),
        key="uploads",
    )
    uploads = [Upload(f.name, f.getvalue()) for f in files or []]
    example = read_example(example_folder)
    if example is not None:
        if st.button("Try the example paper", key="example_button"):
            st.session_state["show_example"] = True
        if st.session_state.get("show_example") or st.query_params.get("example") == "1":
            uploads.append(example)
    if not uploads:
        st.info("No paper yet: upload a PDF" + (" or try the example paper." if example else "."))
        return
    screen_and_show(uploads, settings)


def screen_and_show(uploads: list[Upload], settings: Settings) -> None:
    try:
        parser, extractor = build_backends(settings)
    except ScreenerError as exc:
        st.error(escape(f"Cannot screen with these settings: {exc}"))
        return
    except ImportError as exc:  # a backend whose optional dependencies are not installed
        st.error(escape(f"Cannot screen with these settings: a backend cannot load ({exc})"))
        return
    progress = st.progress(0.0, text=f"Screening {len(uploads)} paper(s)…")
    records = []
    for number, upload in enumerate(uploads, start=1):
        records.append(_screen_with_status(upload, parser, extractor, settings))
        progress.progress(number / len(uploads), text=f"Screened {number} of {len(uploads)}")
    for index, record in enumerate(records):
        st.divider()
        render_record(record, key=f"paper{index}")


def _screen_with_status(
    upload: Upload, parser: Parser, extractor: Extractor, settings: Settings
) -> Record:
    cache: dict[str, Record] = st.session_state.setdefault("screened", {})
    digest = hashlib.sha256(upload.data).hexdigest()
    cache_key = f"{digest}:{upload.name}:{settings_fingerprint(settings)}"
    name = escape(upload.name)
    with st.status(f"Screening {name}…", expanded=False) as status:
        record = cache.get(cache_key)
        if record is None:
            record = screen_upload(upload, parser, extractor, settings)
            _remember(cache, cache_key, record)
        if record.error:
            status.update(label=f"{name}: not screened", state="error")
        else:
            total = sum(record.timings_ms.values())
            status.write(f"parsed, extracted and judged in {total:.0f} ms")
            status.update(label=f"{name}: screened", state="complete")
    return record


def _remember(cache: dict[str, Record], key: str, record: Record) -> None:
    cache[key] = record
    while len(cache) > SESSION_CACHE_SIZE:
        cache.pop(next(iter(cache)))


def render_record(record: Record, key: str) -> None:
    """One paper: header, profile matrix, threats, design, downloads; or its one-line error."""
    if record.error:
        st.error(escape(error_line(record)))
        return
    st.subheader(escape(display_title(record)))
    st.caption(header_markdown(record))
    st.markdown("#### Validity profile")
    st.markdown(profile_html(record), unsafe_allow_html=True)
    st.markdown(f'<p style="font-size:0.85em">{LEGEND}</p>', unsafe_allow_html=True)
    headline = [t for t in record.threats if t.headline]
    st.markdown(f"#### Threats ({len(headline)})")
    if not headline:
        st.write("None found by the rule set.")
    for threat in headline:
        with st.expander(threat_label(threat), expanded=threat.level is Level.KEY):
            st.markdown(threat_markdown(threat))
    if record.also_present:
        st.markdown(f"#### Also present ({len(record.also_present)})")
        st.caption(
            "No claim of the abstract or conclusion rests on these strategies: their threats "
            "are shown at no more than careful and do not enter the profile."
        )
    for secondary in record.also_present:
        st.markdown(f"**{strategy_name(secondary.strategy)}** — {escape(secondary.reason)}")
        for threat in record.threats:
            if not threat.headline and secondary.strategy in threat.strategies:
                with st.expander(threat_label(threat)):
                    st.markdown(threat_markdown(threat))
    st.markdown("#### Extracted design")
    st.markdown(design_html(record.design), unsafe_allow_html=True)
    _downloads(record, key)


def _downloads(record: Record, key: str) -> None:
    stem = report_stem(record)
    json_col, md_col, png_col = st.columns(3)
    # on_click="ignore": a download must not rerun (and so re-screen) the page.
    json_col.download_button(
        "JSON report",
        json_report(record),
        f"{stem}.json",
        "application/json",
        key=f"{key}-json",
        on_click="ignore",
    )
    md_col.download_button(
        "Markdown report",
        record_markdown(record),
        f"{stem}.md",
        "text/markdown",
        key=f"{key}-md",
        on_click="ignore",
    )
    png_col.download_button(
        "Profile (PNG)",
        lambda: figure_png(record),
        f"{stem}.png",
        "image/png",
        key=f"{key}-png",
        on_click="ignore",
    )


def survey_page() -> None:
    """Charts over a batch's results (from `screener batch`), drawn by `screener.survey`."""
    st.write(
        "Load the `results.parquet` that `screener batch` wrote (or give the batch's output "
        "folder) to see the survey statistics `screener survey` reports, with 95% bootstrap "
        "intervals over papers. With a calibration (an evaluation from `screener eval`), the "
        "shares are also shown corrected for the screener's measured error rates."
    )
    uploaded = st.file_uploader("results.parquet", type=["parquet"], key="survey_upload")
    path_text = st.text_input("…or a path on this machine", key="survey_path").strip()
    reps = int(st.number_input("Bootstrap resamples", 0, 10_000, DEFAULT_REPS, step=500))
    calibrations = committed_calibrations()
    choice = st.selectbox(
        "Calibration (error rates from an evaluation)",
        [*map(str, calibrations), NO_CALIBRATION],
        key="survey_calibration",
    )
    other = st.text_input("…or another evaluation JSON", key="survey_calibration_path").strip()
    calibration = Path(other).expanduser() if other else None
    if calibration is None and choice != NO_CALIBRATION:
        calibration = Path(choice)
    allow = st.checkbox("Apply it even if its versions differ from the batch's", key="survey_allow")
    try:
        if uploaded is not None:
            view = _cached_upload_view(
                uploaded.name, uploaded.getvalue(), reps, _stamp(calibration), allow
            )
        elif path_text:
            path = Path(path_text).expanduser()
            if not path.exists():
                raise ScreenerError(f"{path_text}: not found")
            stamp = (str(path), path.stat().st_mtime_ns)
            view = _cached_path_view(stamp, reps, _stamp(calibration), allow)
        else:
            return
    except ScreenerError as exc:
        st.error(escape(str(exc)))
        return
    draw_survey(view)


def _stamp(path: Path | None) -> tuple[str, int] | None:
    """A cache key that changes when the calibration file does."""
    if path is None:
        return None
    return str(path), path.stat().st_mtime_ns if path.exists() else 0


# Surveys are cached in memory (never on disk) per file content or path+mtime: bootstrap
# intervals over thousands of papers take seconds, and every click reruns the page.
@st.cache_data(max_entries=4, show_spinner="Computing the survey…")
def _cached_upload_view(
    name: str, data: bytes, reps: int, calibration: tuple[str, int] | None, allow: bool
) -> SurveyView:
    path = Path(calibration[0]) if calibration else None
    return survey_view_of_upload(name, data, reps, path, allow)


@st.cache_data(max_entries=4, show_spinner="Computing the survey…")
def _cached_path_view(
    stamp: tuple[str, int], reps: int, calibration: tuple[str, int] | None, allow: bool
) -> SurveyView:
    path = Path(calibration[0]) if calibration else None
    return survey_view(Path(stamp[0]), reps, calibration=path, allow_mismatch=allow)


def draw_survey(view: SurveyView) -> None:
    columns = st.columns(len(view.counts))
    for column, (label, value) in zip(columns, view.counts.items(), strict=True):
        column.metric(label, value)
    for notice in view.notices:
        st.warning(escape(notice))
    st.markdown("\n".join(f"- {escape(line)}" for line in view.summary))
    for title, table in view.comparison.items():
        st.markdown(f"**{title}: raw and corrected for the screener's error rates**")
        st.dataframe(table, hide_index=True)
    if not view.figures:
        st.info("No paper in these results is in scope: there is nothing to chart.")
    for name, png in view.figures.items():
        st.image(png, caption=name.replace("_", " "), width=760)
    for title, table in view.tables.items():
        with st.expander(f"Table: {title}"):
            st.dataframe(table, hide_index=True)
