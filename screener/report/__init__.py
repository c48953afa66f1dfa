"""Reports of one screening: terminal (rich), Markdown, and the profile matrix as a PNG."""

from screener.report.figure import profile_figure
from screener.report.markdown import record_markdown
from screener.report.terminal import render_record

__all__ = ["profile_figure", "record_markdown", "render_record"]
