"""LLM extraction over any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server).

One paper goes through these steps:
1. the cache is asked first: a design for (document, prompt, schema, model, output-relevant
   settings) sends no request at all;
2. `context.select_context` picks the text the model sees within the token budget;
3. instructor asks for a `DesignView` (tool calling by default, JSON mode for servers without
   tools) and re-asks when the answer does not validate;
4. every quote is looked up in the document (`grounding`); quotes not found trigger a re-ask
   naming them, and are flagged `grounded=False` if they still cannot be found;
5. transport failures (429, 5xx, timeouts, dropped connections) are retried here with bounded
   exponential backoff and jitter; a paper that still fails falls back to the heuristic
   extractor, and `last_name` says why.

Every HTTP request is logged in the store with its messages, answer, usage, latency and cost.
The API key lives only inside the openai client: it is never part of a logged request, a cache
key, an error message or a report, and any string we store is scrubbed of it besides.

instructor's `context=` argument is deliberately not used: it renders every message as a Jinja
template, and paper text full of braces (LaTeX) must reach the model untouched. Grounding runs in
our own loop instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from screener.design import Design
from screener.document import Document
from screener.errors import ExtractionError, ScreenerError
from screener.extract.context import (
    CONTEXT_VERSION,
    DEFAULT_TOKEN_BUDGET,
    MIN_PAPER_TOKENS,
    Context,
    count_tokens,
    select_context,
)
from screener.extract.grounding import (
    DEFAULT_THRESHOLD,
    DocumentIndex,
    flag_ungrounded,
    ground_design,
    strip_invisible,
)
from screener.extract.llm_schema import CACHE_SCHEMA_VERSION, DesignView, schema_notes
from screener.extract.prompt import Prompt, load_prompt
from screener.limits import EndpointSlot
from screener.store import Store

# instructor logs every failed attempt at ERROR level; without a handler Python would print
# those to stderr. Our own log (the store) and `last_name` say what happened, once.
for _name in ("instructor", "openai"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

PROMPT_NAME = "extract_design"
_RETRY_STATUS = {408, 409, 429}
_PLACEHOLDER_KEY = "unused"  # local servers want some key header, never a real one
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"  # where the openai client goes without base_url


class LLMConfig(BaseSettings):
    """Every LLM knob; read from SCREENER_LLM_* and overridden by `Settings.llm_*` and flags."""

    model_config = SettingsConfigDict(env_prefix="SCREENER_LLM_", extra="ignore")

    model: str | None = None
    prompt: str = Field(default=PROMPT_NAME, description="prompt file name under prompts/")
    base_url: str | None = None
    mode: Literal["tools", "json"] = "tools"
    temperature: float = 0.0
    timeout_s: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=4, ge=1, description="HTTP attempts per request")
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    concurrency: int = Field(default=4, ge=1, description="requests in flight per endpoint")
    token_budget: int = Field(default=DEFAULT_TOKEN_BUDGET, ge=500)
    max_output_tokens: int | None = None
    validation_retries: int = Field(default=2, ge=0, description="re-asks for invalid answers")
    grounding_retries: int = Field(default=1, ge=0, description="re-asks for unfound quotes")
    grounding_threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)
    # Prices default to 0: they change often and differ per provider; set them to get $.
    price_in_per_1m: float = Field(default=0.0, ge=0)
    price_out_per_1m: float = Field(default=0.0, ge=0)
    batch_discount: float = Field(default=0.5, ge=0, le=1, description="Batch API price factor")

    def output_settings(self) -> dict[str, Any]:
        """The settings that change the answer, hence part of the cache key."""
        return {
            "temperature": self.temperature,
            "token_budget": self.token_budget,
            "context_version": CONTEXT_VERSION,
            "max_output_tokens": self.max_output_tokens,
            "grounding_threshold": self.grounding_threshold,
            "grounding_retries": self.grounding_retries,
        }

    def cost(self, tokens_in: int, tokens_out: int, factor: float = 1.0) -> float:
        usd = tokens_in * self.price_in_per_1m / 1e6 + tokens_out * self.price_out_per_1m / 1e6
        return round(usd * factor, 6)


def config_from_settings(settings: Any, **overrides: Any) -> LLMConfig:
    """LLMConfig from env, then any non-None `llm_*` attribute of settings, then overrides."""
    values: dict[str, Any] = {}
    for name in LLMConfig.model_fields:
        value = getattr(settings, f"llm_{name}", None)
        if value is not None:
            values[name] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LLMConfig(**values)


def cache_key(document_sha256: str, prompt: Prompt, model: str, config: LLMConfig) -> str:
    parts = {
        "document": document_sha256,
        "prompt": prompt.sha256,
        "schema": CACHE_SCHEMA_VERSION,
        "model": model,
        # The same model name on two servers can be two different models (or quantisations).
        "endpoint": endpoint_identity(resolved_base_url(config.base_url)),
        "settings": config.output_settings(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def safe_url(url: str | None) -> str | None:
    """The URL without user info and query (where credentials could hide), for the call log."""
    return endpoint_identity(url) if url else url


def resolved_base_url(base_url: str | None) -> str:
    """The endpoint a client really talks to: the one given, else the openai client's choice
    (OPENAI_BASE_URL, else OpenAI's own)."""
    return base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL


def endpoint_identity(base_url: str) -> str:
    """Scheme, host, port and path of an endpoint; never user info, query or fragment.

    Case and a trailing slash do not make a new endpoint.
    """
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    try:
        port = parts.port
    except ValueError:  # not a number: the request will fail and say so, the key need not
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


class LLMCallFailed(ExtractionError):
    """A request failed for good (after its attempts, or at once when retrying cannot help)."""

    def __init__(self, attempts: int, reason: str) -> None:
        self.attempts = attempts
        self.reason = reason
        plural = "attempt" if attempts == 1 else "attempts"
        super().__init__(f"llm failed after {attempts} {plural}: {reason}")


def endpoint_slots(base_url: str | None, limit: int) -> EndpointSlot:
    """Requests in flight to one endpoint: shared by every extractor and thread of this process,
    and by every worker of the cluster under the Ray engine (see screener/limits.py)."""
    return EndpointSlot("llm", safe_url(base_url) or "default", limit)


@lru_cache(maxsize=8)
def overhead_tokens(prompt: Prompt, mode: str = "tools") -> int:
    """Input tokens every request spends before the paper: instructions plus the schema."""
    import instructor

    instructions = build_messages(prompt, Context(text="", tokens=0, document_tokens=0))
    fixed = sum(count_tokens(m["content"]) for m in instructions)
    if mode == "tools":
        return fixed + count_tokens(json.dumps(instructor.generate_openai_schema(DesignView)))
    # instructor's JSON mode pastes the indented schema, with two lines around it, into the
    # system message (about 40 tokens for those lines).
    return fixed + count_tokens(json.dumps(DesignView.model_json_schema(), indent=2)) + 40


def paper_context(prompt: Prompt, document: Document, config: LLMConfig) -> Context:
    """The paper text for one request: the token budget minus the prompt and schema."""
    budget = max(MIN_PAPER_TOKENS, config.token_budget - overhead_tokens(prompt, config.mode))
    return select_context(document, budget)


def build_messages(prompt: Prompt, context: Context) -> list[dict[str, str]]:
    """The chat messages for one paper: instructions, then the paper fenced as data."""
    note = "Only parts of the paper were selected; '[...]' marks left-out paragraphs."
    return prompt.render(
        schema_notes=schema_notes(),
        context_note=note if context.truncated else "",
        paper=fence_safe(context.text),
    )


# A tag named "paper" in any spelling: `</paper>`, `< / PAPER >`, `<paper id=1>`.
_PAPER_TAG = re.compile(r"<(\s*/?\s*paper\b)", re.IGNORECASE)


def fence_safe(text: str) -> str:
    """Paper text that cannot end (or restart) the `<paper>` data fence early.

    Invisible format characters go first, so that `</pa<ZWSP>per>` cannot slip through as a
    tag the model reads but this check does not; then every paper tag loses its angle bracket
    (`</paper>` becomes `[/paper>`), so that nothing in the paper looks like the fence.
    """
    return _PAPER_TAG.sub(lambda m: "[" + "".join(m.group(1).split()), strip_invisible(text))


@dataclass
class _Conversation:
    """One paper's requests: sends them with retries, logs them, adds up their usage."""

    extractor: LLMExtractor
    document_sha256: str
    key: str
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    last_call_id: int | None = None

    def create(self, **request: Any) -> Any:
        """Drop-in for `client.chat.completions.create` that instructor calls."""
        import openai

        config = self.extractor.config
        attempt = 0
        while True:
            attempt += 1
            start = time.perf_counter()
            retry_after: float | None = None
            try:
                with self.extractor.slots:
                    response = self.extractor.client.chat.completions.create(**request)
            except openai.APIStatusError as exc:
                status, reason = exc.status_code, f"HTTP {exc.status_code}"
                retryable = status in _RETRY_STATUS or status >= 500
                retry_after = _retry_after(exc.response.headers.get("retry-after"))
                body: Any = exc.body
            except openai.APITimeoutError:
                status, reason, retryable, body = None, "timeout", True, None
            except openai.APIConnectionError:
                status, reason, retryable, body = None, "connection error", True, None
            else:
                self._log(request, attempt, start, response=response)
                return response
            self._log(request, attempt, start, error=reason, http_status=status, body=body)
            if not retryable or attempt >= config.max_attempts:
                raise LLMCallFailed(attempt, reason)
            time.sleep(self.extractor.backoff(attempt, retry_after))

    def _log(
        self,
        request: dict[str, Any],
        attempt: int,
        start: float,
        *,
        response: Any = None,
        error: str | None = None,
        http_status: int | None = None,
        body: Any = None,
    ) -> None:
        latency = round((time.perf_counter() - start) * 1000, 1)
        self.requests += 1
        tokens_in = tokens_out = 0
        usage = getattr(response, "usage", None)
        if usage is not None:
            tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
            tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        config = self.extractor.config
        answer = response.model_dump(mode="json") if response is not None else body
        self.last_call_id = self.extractor.store.log_call(
            document_sha256=self.document_sha256,
            cache_key=self.key,
            model=request.get("model"),
            base_url=safe_url(config.base_url),
            mode=config.mode,
            attempt=attempt,
            status="ok" if response is not None else "error",
            http_status=200 if response is not None else http_status,
            request_json=self.extractor.scrub(json.dumps(request, ensure_ascii=False, default=str)),
            response_json=self.extractor.scrub(json.dumps(answer, ensure_ascii=False, default=str)),
            error=self.extractor.scrub(error) if error else None,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=config.cost(tokens_in, tokens_out),
            latency_ms=latency,
        )

    def mark_last(self, status: str, error: str) -> None:
        """Re-label the latest logged call (its answer was invalid or its quotes not found)."""
        if self.last_call_id is not None:
            self.extractor.store.set_call_status(
                self.last_call_id, status, self.extractor.scrub(error)
            )

    def usage(self, cached: bool = False) -> dict[str, Any]:
        return {
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": self.extractor.config.cost(self.tokens_in, self.tokens_out),
            "requests": self.requests,
            "cached": cached,
        }


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


class LLMExtractor:
    """Extractor backend `llm`: a `Design` from an OpenAI-compatible chat endpoint."""

    name = "llm"

    def __init__(self, config: LLMConfig, api_key: str | None, store: Store, settings: Any = None):
        if not config.model:
            raise ExtractionError(
                "the llm extractor needs a model name: pass --model or set SCREENER_LLM_MODEL"
            )
        self.config = config
        self.model: str = config.model
        self.store = store
        self.settings = settings
        self.prompt = load_prompt(config.prompt)
        self._secret = api_key or ""
        self.client = _make_client(config, api_key)
        self.slots = endpoint_slots(config.base_url, config.concurrency)
        # Per thread: one extractor may serve a pool of workers, each reading its own outcome.
        self._local = threading.local()

    @property
    def last_name(self) -> str:
        """`llm:MODEL`, or `heuristic (fallback: REASON)` when the last paper fell back."""
        return getattr(self._local, "name", f"llm:{self.model}")

    @last_name.setter
    def last_name(self, value: str) -> None:
        self._local.name = value

    @property
    def last_usage(self) -> dict[str, Any]:
        """tokens_in, tokens_out, cost_usd, requests, cached of this thread's last paper."""
        return getattr(self._local, "usage", {})

    @last_usage.setter
    def last_usage(self, value: dict[str, Any]) -> None:
        self._local.usage = value

    @property
    def last_info(self) -> dict[str, Any]:
        """Model, prompt name and sha256, schema version, cache key, context size, fallback."""
        return getattr(self._local, "info", {})

    @last_info.setter
    def last_info(self, value: dict[str, Any]) -> None:
        self._local.info = value

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> LLMExtractor:
        config = config_from_settings(settings, **overrides)
        secret = getattr(settings, "openai_api_key", None)
        api_key = secret.get_secret_value() if secret is not None else None
        return cls(config, api_key, Store(settings.cache_dir), settings)

    # --- helpers used by the conversation -------------------------------------------------

    def scrub(self, text: str) -> str:
        """Defence in depth: a server that echoes the key must not get it into our store."""
        return text.replace(self._secret, "[redacted]") if len(self._secret) >= 8 else text

    def scrub_design(self, design: Design) -> Design:
        """The design without the key: a hostile or broken server could echo it into any value
        or quote, and designs reach the cache and every report."""
        dumped = design.model_dump_json()
        cleaned = self.scrub(dumped)
        return design if cleaned == dumped else Design.model_validate_json(cleaned)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Exponential backoff with jitter, bounded; honours Retry-After up to the bound."""
        cap = self.config.backoff_max_s
        delay = min(cap, self.config.backoff_base_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, cap))
        return delay

    def key_for(self, document: Document) -> str:
        return cache_key(document.sha256, self.prompt, self.model, self.config)

    # --- the extractor protocol -----------------------------------------------------------

    def extract(self, document: Document) -> Design:
        key = self.key_for(document)
        self.last_name = f"llm:{self.model}"
        self.last_info = {
            "model": self.model,
            "prompt": self.prompt.label,
            "prompt_sha256": self.prompt.sha256,
            "schema_version": CACHE_SCHEMA_VERSION,
            "cache_key": key,
        }
        cached = self.store.get_extraction(key)
        if cached is not None:
            usage = cached["usage"]
            self.last_usage = {**usage, "requests": 0, "cached": True}
            self.last_info["origin"] = cached["origin"]
            return Design.model_validate(cached["design"])

        context = paper_context(self.prompt, document, self.config)
        self.last_info.update(
            context_tokens=context.tokens,
            document_tokens=context.document_tokens,
            context_sections=list(context.sections),
        )
        conversation = _Conversation(self, document.sha256, key)
        try:
            design = self.scrub_design(self._ask(document, context, conversation))
        except ScreenerError as exc:
            return self._fall_back(document, conversation, str(exc))
        except Exception as exc:  # instructor wraps every failure; unwrap to one sentence
            return self._fall_back(document, conversation, _failure_reason(exc, self.config))
        self.last_usage = conversation.usage()
        self.store.put_extraction(
            key,
            document_sha256=document.sha256,
            prompt_sha256=self.prompt.sha256,
            schema_version=CACHE_SCHEMA_VERSION,
            model=self.model,
            settings=self.config.output_settings(),
            design=design.model_dump(mode="json"),
            usage=self.last_usage,
            origin="live",
        )
        return design

    def _ask(self, document: Document, context: Context, conversation: _Conversation) -> Design:
        import instructor

        mode = instructor.Mode.TOOLS if self.config.mode == "tools" else instructor.Mode.JSON
        create = instructor.patch(create=conversation.create, mode=mode)
        hooks = instructor.hooks.Hooks()
        hooks.on(
            "parse:error", lambda error, **_: conversation.mark_last("invalid", _one_line(error))
        )
        messages = build_messages(self.prompt, context)
        extra: dict[str, Any] = {}
        if self.config.max_output_tokens:
            extra["max_tokens"] = self.config.max_output_tokens
        index = DocumentIndex(document)
        rounds = self.config.grounding_retries + 1
        for round_number in range(1, rounds + 1):
            view = create(
                response_model=DesignView,
                messages=messages,
                max_retries=self.config.validation_retries,
                strict=False,
                hooks=hooks,
                model=self.model,
                temperature=self.config.temperature,
                **extra,
            )
            design, failed = ground_design(view.to_design(), index, self.config.grounding_threshold)
            if not failed:
                return design
            listed = "; ".join(f"{name}: {quote!r}" for name, quote in failed)
            conversation.mark_last("ungrounded", f"quotes not found in the paper: {listed}")
            if round_number == rounds:
                return flag_ungrounded(design, failed)
            messages = messages + [
                {"role": "assistant", "content": view.model_dump_json()},
                {"role": "user", "content": _reask_for_quotes(failed)},
            ]
        raise AssertionError("unreachable: the loop returns on its last round")

    def _fall_back(self, document: Document, conversation: _Conversation, reason: str) -> Design:
        from screener.extract.heuristic import HeuristicExtractor

        reason = self.scrub(reason)
        fallback = HeuristicExtractor.from_settings(self.settings)
        design = fallback.extract(document)
        self.last_name = f"heuristic (fallback: {reason})"
        self.last_usage = conversation.usage()
        self.last_info["fallback"] = reason
        return design


def _make_client(config: LLMConfig, api_key: str | None) -> Any:
    import openai

    # max_retries=0: our loop does the retrying, so attempts are counted and logged once.
    return openai.OpenAI(
        api_key=api_key or _PLACEHOLDER_KEY,
        base_url=resolved_base_url(config.base_url),
        timeout=config.timeout_s,
        max_retries=0,
    )


def _reask_for_quotes(failed: list[tuple[str, str]]) -> str:
    lines = [
        "These quotes were not found in the paper text. Every quote must be copied character "
        "for character from the text inside <paper>. Replace each with an exact quote, or drop "
        "the quote (and the value, if nothing in the paper supports it). A value answered from "
        "absence (no repetition reported, no validation run) keeps its value: quote the "
        "sentence that reports the result it concerns. Answer with the full record again.",
    ]
    lines += [f"- {name}: {quote!r}" for name, quote in failed]
    return "\n".join(lines)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:300]


def _failure_reason(exc: BaseException, config: LLMConfig) -> str:
    """One sentence for why the LLM gave no design, from instructor's wrapped exception."""
    from instructor.core.exceptions import IncompleteOutputException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, LLMCallFailed):
            return str(seen)
        if isinstance(seen, IncompleteOutputException):
            return "llm answer cut off at the output token limit"
        seen = seen.__cause__ or seen.__context__
    tries = config.validation_retries + 1
    return f"llm answer did not match the schema after {tries} tries"
