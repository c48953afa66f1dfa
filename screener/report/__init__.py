"""Reports of one screening: terminal (rich), Markdown, and the profile matrix as a PNG.

Besides the three renderers, the package's public surface is the shared vocabulary every
report uses (level symbols and colours, shortened quotes, the design as a list of fields), so
that other front ends (the Streamlit page) show a screening the same way.
"""

from screener.report._common import (
    LEVEL_HEX,
    LEVEL_STYLE,
    LEVEL_SYMBOL,
    NO_LEVEL,
    NOT_DETECTED,
    FieldView,
    cell_label,
    confidence_label,
    design_fields,
    display_title,
    error_line,
    header_facts,
    level_label,
    not_applicable_reason,
    page_prefix,
    quote_line,
    shorten,
    strategy_name,
    usage_line,
    validity_types,
)
from screener.report.figure import profile_figure
from screener.report.markdown import escape, record_markdown
from screener.report.terminal import render_record

__all__ = [
    "LEVEL_HEX",
    "LEVEL_STYLE",
    "LEVEL_SYMBOL",
    "NOT_DETECTED",
    "NO_LEVEL",
    "FieldView",
    "cell_label",
    "confidence_label",
    "design_fields",
    "display_title",
    "error_line",
    "escape",
    "header_facts",
    "level_label",
    "not_applicable_reason",
    "page_prefix",
    "profile_figure",
    "quote_line",
    "record_markdown",
    "render_record",
    "shorten",
    "strategy_name",
    "usage_line",
    "validity_types",
]
