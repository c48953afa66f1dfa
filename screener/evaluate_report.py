"""Writers for an evaluation result: JSON, a Markdown report and a PNG confusion matrix.

The reports are committed (eval/results/), so they never carry text copied from the papers:
predicted evidence appears as page and section only, predicted phrases cut to a few words.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from screener.evaluate import DETAIL_FIELDS, MAX_WORDS
from screener.profile import VALIDITY_TYPES

_PNG_METADATA = {"Software": None}  # keep the file free of the matplotlib version
TYPES = [v.value for v in VALIDITY_TYPES]


def report_stem(result: dict[str, Any]) -> str:
    return result.get("name") or f"{result['extractor']}-{result['parser']}-{result['date']}"


def write_reports(result: dict[str, Any], out_dir: Path | str) -> list[Path]:
    """Write `<stem>.json`, `<stem>.md` and `<stem>-primary.png` into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(result)
    json_path, md_path, png_path = (
        out / f"{stem}.json",
        out / f"{stem}.md",
        out / f"{stem}-primary.png",
    )
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    confusion_figure(result["primary_confusion"], png_path, stem)
    md_path.write_text(markdown_report(result, png_path.name), encoding="utf-8")
    return [json_path, md_path, png_path]


# --- formatting helpers -----------------------------------------------------------------------


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _ci(value: Any) -> str:
    if not value:
        return "–"
    return f"[{_num(value[0])}, {_num(value[1])}]"


def _get(tree: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(tree, dict):
            return None
        tree = tree.get(part)  # type: ignore[assignment]
    return tree


def _metric_row(result: dict[str, Any], label: str, dotted: str) -> str:
    return f"| {label} | {_num(_get(result, dotted))} | {_ci(_get(result, dotted + '_ci'))} |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


# --- Markdown ---------------------------------------------------------------------------------

_HEADLINE = [
    ("In scope: precision", "in_scope.precision"),
    ("In scope: recall", "in_scope.recall"),
    ("In scope: F1", "in_scope.f1"),
    ("Strategies: micro-F1", "strategies.micro_f1"),
    ("Strategies: macro-F1 (gold classes)", "strategies.macro_f1"),
    ("Strategies: exact-set match", "strategies.exact_match"),
    ("Primary strategy accuracy", "primary_accuracy"),
    ("Proxies: kind-level F1", "proxies.f1"),
    ("Identification F1", "identification.f1"),
    ("Treatment token F1", "treatment.token_f1"),
    ("Outcome token F1", "outcome.token_f1"),
    ("repeated_runs accuracy", "details.repeated_runs.accuracy"),
    ("target_validation accuracy", "details.target_validation.accuracy"),
    ("Profile exact match", "profile.exact_match"),
    ("Threat ids: precision", "threat_ids.precision"),
    ("Threat ids: recall", "threat_ids.recall"),
    ("Threat ids: F1", "threat_ids.f1"),
    ("Evidence grounding rate", "grounding_rate"),
    ("Seconds per paper", "cost.seconds_per_paper"),
    ("Tokens in per paper", "cost.tokens_in_per_paper"),
    ("Tokens out per paper", "cost.tokens_out_per_paper"),
    ("US$ per paper", "cost.usd_per_paper"),
]

# Metrics that compare labels with labels (agreement between two readers has no cost or quotes).
_COST_METRICS = ("grounding_rate", "cost.")
_LABEL_HEADLINE = [
    (label, dotted) for label, dotted in _HEADLINE if not dotted.startswith(_COST_METRICS)
]

_CONVENTIONS = """\
Conventions: a paper counts as predicted in scope only when the extracted `in_scope` is true;
a paper whose parse or extraction failed scores as an empty prediction; a missing PDF is skipped.
Precision is undefined (–) with no predictions, recall with no gold positives; F1 = 2TP/(2TP+FP+FN)
is undefined only when both are empty. Macro-F1 averages the strategy classes with gold support.
Profile agreement uses the papers that both gold and prediction judge (both have a profile);
quadratic-weighted kappa over ok < careful < key is 1.0 when both sides give one identical level
throughout. Key-threat detection: over all scored papers, positive = that validity type at `key`.
Strategies and threat ids: those of the headline strategies only (strategies that are only
"also present" are reported but, like in gold (codebook rule 9), do not count); threat ids
compare the set of triggered threats regardless of their level after mitigation.
Grounding: a quote counts when it occurs verbatim (whitespace collapsed) in the parsed text.
Intervals: 95% percentile bootstrap over papers."""


def markdown_report(result: dict[str, Any], png_name: str | None = None) -> str:
    lines = _header(result)
    lines += ["", "## Headline metrics", ""] + _headline_table(result)
    lines += ["", "## Strategies per class", ""] + _strategy_table(result)
    lines += ["", "## Primary strategy", ""] + _confusion_table(result, png_name)
    lines += ["", "## Profile agreement", ""] + _profile_table(result)
    lines += ["", "## Key threats per validity type", ""] + _key_threat_table(result)
    lines += ["", "## Rules-only ablation", ""] + _ablation(result)
    lines += ["", "## Per-paper disagreements", ""] + _disagreements(result)
    return "\n".join(lines) + "\n"


def _headline_table(result: dict[str, Any]) -> list[str]:
    ceiling = result.get("ceiling")
    if ceiling is None:
        header = ["metric", "value", "95% CI"]
        return _table(header, [])[:2] + [_metric_row(result, lbl, d) for lbl, d in _HEADLINE]
    lines = _table(["metric", "screener", "95% CI", "two readers", "95% CI"], [])[:2]
    labelled = {dotted for _, dotted in _LABEL_HEADLINE}
    for label, dotted in _HEADLINE:
        human = [_num(_get(ceiling, dotted)), _ci(_get(ceiling, dotted + "_ci"))]
        row = [label, _num(_get(result, dotted)), _ci(_get(result, dotted + "_ci"))]
        row += human if dotted in labelled else ["", ""]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        f"*Two readers*: the gold labels against an independent second annotator "
        f"(`{ceiling['other']['path']}`) on the same {ceiling['n_papers']} papers, with the same "
        "metrics: how often careful human readers agree.",
    ]
    return lines


def _header(result: dict[str, Any]) -> list[str]:
    boot = result.get("bootstrap", {})
    lines = [
        f"# Evaluation: {result['extractor']} extractor, {result['parser']} parser "
        f"({result['date']})",
        "",
        f"- gold: `{result['gold']['path']}`, {result['gold']['n_labels']} labels; "
        f"papers scored: {result['n_papers']}",
        f"- rules version: {result['rules_version']}; extractors that answered: "
        f"{', '.join(result.get('extractors_used') or ['–'])}",
        f"- parsers that answered: {'; '.join(result.get('parsers_used') or ['–'])}",
        *_extraction_line(result),
        f"- bootstrap: {boot.get('resamples')} resamples of papers, seed {boot.get('seed')}",
        f"- missing PDFs (skipped): {', '.join(result['missing_pdfs']) or 'none'}",
        f"- failed screenings (scored as empty): {', '.join(result['failed']) or 'none'}",
        "",
        "This report is committed with the code, so it carries no text copied from the papers:",
        "predicted evidence is shown as page and section only, and predicted phrases are cut to",
        f"{MAX_WORDS} words. Gold evidence notes are the labeller's own words.",
        "",
        _CONVENTIONS,
    ]
    return lines


def _extraction_line(result: dict[str, Any]) -> list[str]:
    facts = result.get("extraction") or {}
    if not facts:
        return []
    sha = (facts.get("prompt_sha256") or "")[:12]
    return [
        f"- LLM: model `{facts.get('model')}`, prompt {facts.get('prompt')} (sha256 {sha}…), "
        f"schema {facts.get('schema_version')}"
    ]


def _strategy_table(result: dict[str, Any]) -> list[str]:
    per_class = _get(result, "strategies.per_class") or {}
    rows = []
    for name, values in per_class.items():
        rows.append(
            [
                f"`{name}`",
                _num(values.get("support")),
                _num(values.get("tp", 0) + values.get("fp", 0)),
                _num(values.get("precision")),
                _num(values.get("recall")),
                _num(values.get("f1")),
                _ci(values.get("f1_ci")),
            ]
        )
    return _table(
        ["strategy", "support", "predicted", "precision", "recall", "F1", "F1 95% CI"], rows
    )


def _confusion_table(result: dict[str, Any], png_name: str | None) -> list[str]:
    confusion = result["primary_confusion"]
    labels, matrix = confusion["labels"], confusion["matrix"]
    lines = [
        f"Accuracy {_num(result.get('primary_accuracy'))} {_ci(result.get('primary_accuracy_ci'))} "
        f"over {result.get('primary_n')} papers in scope in gold. Rows: gold; columns: predicted.",
        "",
    ]
    if labels:
        lines += _table(
            ["gold \\ predicted"] + labels,
            [[g] + [str(c) for c in row] for g, row in zip(labels, matrix, strict=True)],
        )
    if png_name:
        lines += ["", f"![primary-strategy confusion matrix]({png_name})"]
    return lines


def _profile_rows(block: dict[str, Any]) -> list[list[str]]:
    rows = []
    for validity in TYPES:
        values = (block.get("profile") or {}).get(validity) or {}
        rows.append(
            [
                validity,
                _num(values.get("n")),
                _num(values.get("accuracy")),
                _ci(values.get("accuracy_ci")),
                _num(values.get("kappa")),
                _ci(values.get("kappa_ci")),
            ]
        )
    return rows


def _profile_table(result: dict[str, Any]) -> list[str]:
    header = ["validity", "n", "accuracy", "95% CI", "quadratic kappa", "95% CI"]
    return _table(header, _profile_rows(result))


def _key_rows(block: dict[str, Any]) -> list[list[str]]:
    rows = []
    for validity in TYPES:
        values = (block.get("key_threats") or {}).get(validity) or {}
        rows.append(
            [
                validity,
                _num(values.get("support")),
                _num(values.get("precision")),
                _num(values.get("recall")),
                _num(values.get("f1")),
                _ci(values.get("f1_ci")),
            ]
        )
    return rows


def _key_threat_table(result: dict[str, Any]) -> list[str]:
    return _table(
        ["validity", "gold key", "precision", "recall", "F1", "F1 95% CI"], _key_rows(result)
    )


def _ablation(result: dict[str, Any]) -> list[str]:
    block = result["rules_only"]
    lines = [
        "The gold design fields go straight into the rules",
        "(`judge(Design.from_codebook(gold))`) and the output is compared with the gold profile",
        "and threats. Disagreements here are rule (or label) disagreements; the difference to the",
        "tables above is what extraction costs.",
        "",
        f"Papers: {block.get('n_papers')}; profile exact match "
        f"{_num(_get(block, 'profile.exact_match'))} {_ci(_get(block, 'profile.exact_match_ci'))} "
        f"over {_get(block, 'profile.n')} judged papers; threat ids "
        f"P {_num(_get(block, 'threat_ids.precision'))} / "
        f"R {_num(_get(block, 'threat_ids.recall'))} / "
        f"F1 {_num(_get(block, 'threat_ids.f1'))} {_ci(_get(block, 'threat_ids.f1_ci'))}.",
        "",
    ]
    lines += _table(
        ["validity", "n", "accuracy", "95% CI", "quadratic kappa", "95% CI"], _profile_rows(block)
    )
    lines += [""] + _table(
        ["validity", "gold key", "precision", "recall", "F1", "F1 95% CI"], _key_rows(block)
    )
    differing = block.get("disagreements") or []
    lines += ["", f"Papers where the rules disagree with the gold judgment: {len(differing)}", ""]
    for item in differing:
        lines.append(
            f"- `{item['id']}` ({', '.join(item['fields'])}): "
            f"gold profile {_levels(item['gold_profile'])}, "
            f"rules {_levels(item['rules_profile'])}; "
            f"gold threats {', '.join(item['gold_threats']) or 'none'}, "
            f"rules {_threats(item['rules_threats'])}"
        )
    return lines


def _levels(profile: dict[str, str] | None) -> str:
    if not profile:
        return "none"
    return "/".join(f"{k[:3]}={profile[k]}" for k in TYPES)


def _threats(threats: dict[str, str] | None) -> str:
    if not threats:
        return "none"
    return ", ".join(f"{tid} ({level})" for tid, level in threats.items())


def _disagreements(result: dict[str, Any]) -> list[str]:
    papers = [p for p in result["papers"] if p.get("disagreements") or p["status"] != "ok"]
    if not papers:
        return ["None: every scored paper agrees with its label on every compared field."]
    lines = [
        "Fields compared: in_scope, strategies, primary_strategy, profile, threats. Gold",
        "evidence is the labeller's page/section note; predicted evidence is the page and",
        "section of each quote.",
        "",
    ]
    for paper in papers:
        lines += _paper_block(paper)
    return lines


def _paper_block(paper: dict[str, Any]) -> list[str]:
    gold, pred = paper["gold"], paper.get("predicted")
    lines = [f"### `{paper['id']}`: {paper['title']}", ""]
    if pred is None:
        return lines + ["- PDF not found: skipped.", ""]
    if paper.get("error"):
        lines.append(f"- screening failed: {paper['error']}")
    rows = [
        ("in_scope", str(gold["in_scope"]), str(pred["in_scope"])),
        (
            "strategies",
            ", ".join(gold["strategies"]) or "none",
            ", ".join(pred["strategies"]) or "none",
        ),
        ("primary_strategy", str(gold["primary_strategy"]), str(pred["primary_strategy"])),
        ("profile", _levels(gold["profile"]), _levels(pred["profile"])),
        ("threats", ", ".join(gold["threats"]) or "none", _threats(pred["threats"])),
    ]
    details = [
        (
            name,
            str((gold.get("details") or {}).get(name)),
            str((pred.get("details") or {}).get(name)),
        )
        for name in DETAIL_FIELDS
        if (gold.get("details") or {}).get(name) != (pred.get("details") or {}).get(name)
    ]
    for name, gold_value, pred_value in rows:
        marker = " **(differs)**" if name in paper.get("disagreements", []) else ""
        lines.append(f"- {name}{marker}: gold {gold_value}; predicted {pred_value}")
    for name, gold_value, pred_value in details:
        lines.append(f"- design detail {name}: gold {gold_value}; predicted {pred_value}")
    scores = paper.get("scores", {})
    lines.append(
        f"- treatment token F1 {_num(scores.get('treatment_f1'))}, outcome token F1 "
        f"{_num(scores.get('outcome_f1'))}"
    )
    gold_evidence = "; ".join(f"{k}: {v}" for k, v in (gold.get("evidence") or {}).items())
    lines.append(f"- gold evidence: {gold_evidence or 'none noted'}")
    where = "; ".join(
        f"{k}: {', '.join(v)}" for k, v in (pred.get("evidence_locations") or {}).items()
    )
    lines.append(f"- predicted evidence: {where or 'none'}")
    return lines + [""]


# --- terminal summary and figure ----------------------------------------------------------------


def summary_lines(result: dict[str, Any]) -> list[str]:
    """A short plain-text summary for the terminal."""
    lines = [
        f"{result['n_papers']} papers scored ({len(result['missing_pdfs'])} missing PDFs, "
        f"{len(result['failed'])} failed); extractor {result['extractor']}, "
        f"parser {result['parser']}"
    ]
    width = max(len(label) for label, _ in _HEADLINE)
    lines += _metric_lines(result, _HEADLINE, width)
    lines += _profile_summary(result)
    ceiling = result.get("ceiling")
    if ceiling is not None:
        lines.append(f"two readers (gold vs {ceiling['other']['path']}):")
        lines += [
            f"  {label:<{width}}  {_num(_get(ceiling, dotted)):>8}"
            for label, dotted in _CEILING_SUMMARY
        ]
    return lines


_CEILING_SUMMARY = [
    ("Primary strategy accuracy", "primary_accuracy"),
    ("Profile exact match", "profile.exact_match"),
    ("Threat ids: F1", "threat_ids.f1"),
]


def _metric_lines(result: dict[str, Any], metrics: list[tuple[str, str]], width: int) -> list[str]:
    """One aligned terminal line per metric: label, value, interval."""
    return [
        f"  {label:<{width}}  {_num(_get(result, dotted)):>8}  {_ci(_get(result, dotted + '_ci'))}"
        for label, dotted in metrics
    ]


def _profile_summary(result: dict[str, Any]) -> list[str]:
    lines = []
    for validity in TYPES:
        values = _get(result, f"profile.{validity}") or {}
        lines.append(
            f"  profile {validity:<11} accuracy {_num(values.get('accuracy'))} "
            f"kappa {_num(values.get('kappa'))} (n={values.get('n')})"
        )
    return lines


# --- agreement between two label files ----------------------------------------------------------


def agreement_stem(result: dict[str, Any], name: str | None = None) -> str:
    if name:
        return name
    first, second = (Path(result[k]["path"]).stem for k in ("reference", "other"))
    return f"agree-{first}-{second}"


def write_agreement_reports(
    result: dict[str, Any], out_dir: Path | str, name: str | None = None
) -> list[Path]:
    """Write `<stem>.json` and `<stem>.md` of a `screener agree` result into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = agreement_stem(result, name)
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(agreement_markdown(result), encoding="utf-8")
    return [json_path, md_path]


def agreement_markdown(result: dict[str, Any]) -> str:
    boot = result.get("bootstrap", {})
    lines = [
        "# Agreement between two label files",
        "",
        f"- reference (read as gold): `{result['reference']['path']}`, "
        f"{result['reference']['n_labels']} labels",
        f"- other reader (read as prediction): `{result['other']['path']}`, "
        f"{result['other']['n_labels']} labels",
        f"- papers labelled by both: {result['n_papers']}; only in the reference: "
        f"{', '.join(result['only_reference']) or 'none'}; only in the other: "
        f"{', '.join(result['only_other']) or 'none'}",
        f"- bootstrap: {boot.get('resamples')} resamples of papers, seed {boot.get('seed')}",
        "",
        "The same metrics as `screener eval`; precision and recall read the other file as the",
        "prediction. Threat ids compare the listed ids.",
        "",
        "## Metrics",
        "",
    ]
    lines += _table(["metric", "value", "95% CI"], [])[:2]
    lines += [_metric_row(result, label, dotted) for label, dotted in _LABEL_HEADLINE]
    lines += ["", "## Profile agreement", ""] + _profile_table(result)
    lines += ["", "## Primary strategy", ""] + _confusion_table(result, None)
    lines += ["", "## Papers with a disagreement", ""]
    lines += [f"- {d['id']}: {', '.join(d['fields'])}" for d in result["disagreements"]] or ["none"]
    return "\n".join(lines) + "\n"


def agreement_summary_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"{result['n_papers']} papers labelled in both files "
        f"({len(result['only_reference'])} only in the reference, "
        f"{len(result['only_other'])} only in the other)"
    ]
    width = max(len(label) for label, _ in _LABEL_HEADLINE)
    return lines + _metric_lines(result, _LABEL_HEADLINE, width) + _profile_summary(result)


def confusion_figure(confusion: dict[str, Any], path: Path, title: str) -> Path:
    """The primary-strategy confusion matrix as a PNG (counts in the cells)."""
    labels, matrix = confusion["labels"], confusion["matrix"]
    size = max(3.5, 1.0 + 0.9 * len(labels))
    figure = Figure(figsize=(size + 1.5, size), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    if labels:
        axes.imshow(matrix, cmap="Blues", vmin=0)
        peak = max((max(row) for row in matrix), default=0)
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                colour = "white" if peak and count > peak / 2 else "black"
                axes.text(j, i, str(count), ha="center", va="center", color=colour)
        axes.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
        axes.set_yticks(range(len(labels)), labels)
    else:
        axes.text(0.5, 0.5, "no papers in scope in gold", ha="center", va="center")
        axes.set_axis_off()
    axes.set_xlabel("predicted primary strategy")
    axes.set_ylabel("gold primary strategy")
    axes.set_title(f"Primary strategy: {title}", fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata=_PNG_METADATA, facecolor="white")
    return path
