"""Every knob in one place, read from SCREENER_* (and OPENAI_*) environment variables.

Command-line flags override these values; the CLI passes them in as keyword arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCREENER_", extra="ignore", populate_by_name=True)

    corpus_dir: Path = Field(
        default=Path("../shared/corpus"),
        description="folder with the real-paper corpus (pdfs/, tei/, manifest.csv) for corpus "
        "tests and benchmarks",
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path(user_cache_dir("screener")),
        description="where the LLM call log and cache live",
    )
    parser: str = "pymupdf"
    extractor: str = "heuristic"
    grobid_url: str | None = Field(
        default=None,
        description="GROBID server URL; several, comma-separated, spread the papers over them",
    )
    grobid_concurrency: int = Field(
        default=4, ge=1, description="papers in flight per GROBID URL (across all batch workers)"
    )
    grobid_timeout_s: float = 120.0
    grobid_no_fallback: bool = Field(
        default=False, description="an unreachable GROBID is an error instead of a PyMuPDF fallback"
    )
    grobid_attempts: int = Field(default=4, ge=1)
    grobid_backoff_s: float = Field(default=1.0, ge=0.0)
    paper_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="batch: a paper whose parse, GROBID or LLM calls take longer is recorded as "
        "failed ('timed out after N s') and its worker is replaced",
    )
    max_pdf_mb: float = Field(default=200.0, description="larger files are refused before parsing")
    # Corpus papers have at most 95 pages and 16,000 characters on their densest page.
    max_pages: int = Field(
        default=500, ge=1, description="PDFs with more pages are refused before any page is read"
    )
    max_page_chars: int = Field(
        default=100_000,
        ge=1,
        description="a page with more text (e.g. megabytes of tiny glyphs) ends the parse",
    )
    max_upload_mb: float = Field(
        default=50.0, gt=0, description="the Streamlit page refuses larger uploads (per file)"
    )
    survey_min_bin: int = Field(
        default=10,
        ge=1,
        description="survey trend groups (years, categories) with fewer in-scope papers are "
        "drawn hollow; small categories are merged into 'other'",
    )
    survey_min_youden: float = Field(
        default=0.3,
        ge=0.0,
        lt=1.0,
        description="corrected survey shares whose sensitivity + specificity - 1 is below this "
        "are flagged unstable",
    )

    llm_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SCREENER_LLM_BASE_URL", "OPENAI_BASE_URL"),
    )
    llm_model: str | None = Field(default=None, validation_alias=AliasChoices("SCREENER_LLM_MODEL"))
    llm_prompt: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SCREENER_LLM_PROMPT"),
        description="prompt file name under prompts/ (default extract_design)",
    )
    # LLM extractor knobs; None keeps the extractor's default (see screener/extract/llm.py).
    llm_mode: Literal["tools", "json"] | None = None
    llm_token_budget: int | None = Field(default=None, ge=500)
    llm_temperature: float | None = Field(default=None, ge=0.0)
    llm_timeout_s: float | None = Field(default=None, gt=0.0)
    llm_max_attempts: int | None = Field(default=None, ge=1)
    llm_concurrency: int | None = Field(default=None, ge=1)
    llm_price_in_per_1m: float | None = Field(default=None, ge=0.0)
    llm_price_out_per_1m: float | None = Field(default=None, ge=0.0)
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "SCREENER_LLM_API_KEY")
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
