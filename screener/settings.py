"""Every knob in one place, read from SCREENER_* (and OPENAI_*) environment variables.

Command-line flags override these values; the CLI passes them in as keyword arguments.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_dir
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCREENER_", extra="ignore")

    corpus_dir: Path = Field(
        default=Path("../shared/corpus"),
        description="folder with the real-paper corpus (pdfs/, tei/, manifest.csv) for corpus tests and benchmarks",
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path(user_cache_dir("screener")),
        description="where the LLM call log and cache live",
    )
    parser: str = "pymupdf"
    extractor: str = "heuristic"
    grobid_url: str | None = None
    grobid_timeout_s: float = 120.0
    max_pdf_mb: float = Field(default=200.0, description="larger files are refused before parsing")

    llm_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SCREENER_LLM_BASE_URL", "OPENAI_BASE_URL"),
    )
    llm_model: str | None = Field(default=None, validation_alias=AliasChoices("SCREENER_LLM_MODEL"))
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "SCREENER_LLM_API_KEY")
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
