"""OpenAI Batch API: export one chat request per paper, import the answers into the cache.

`export_batch` writes the Batch API's JSONL input (one line per paper: custom_id = the document's
sha256, POST /v1/chat/completions, the same messages and schema a live call sends) and remembers
each paper's file and cache key in the store. `import_batch` reads the results file, validates
each answer against the schema, grounds its quotes in the paper and caches the design under the
same key a live `screen` computes, so that screening afterwards sends no request. A batch answer
cannot be re-asked: quotes not found are flagged, as after the last live re-ask.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screener.document import Document
from screener.errors import ScreenerError
from screener.extract.grounding import DocumentIndex, flag_ungrounded, ground_design
from screener.extract.llm import LLMExtractor, build_messages, paper_context, safe_url
from screener.extract.llm_schema import CACHE_SCHEMA_VERSION, DesignView
from screener.parse import Parser

CHAT_URL = "/v1/chat/completions"


@dataclass
class BatchSummary:
    written: int = 0  # export: request lines; import: designs cached
    skipped: list[str] = field(default_factory=list)  # already cached / duplicates
    failed: list[str] = field(default_factory=list)  # one sentence each, naming the paper
    ungrounded: int = 0  # import: designs with at least one quote not found
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


def request_body(extractor: LLMExtractor, document: Document) -> dict[str, Any]:
    """The chat-completions body a live call sends for this paper (first attempt).

    instructor prepares it exactly as for a live call: in tools mode the schema as a forced
    tool, in JSON mode the schema in the system message and `response_format: json_object`,
    which OpenAI, vLLM, Ollama and llama.cpp's server all accept.
    """
    import instructor
    from instructor.processing.response import handle_response_model

    config = extractor.config
    context = paper_context(extractor.prompt, document, config)
    body: dict[str, Any] = {
        "model": extractor.model,
        "messages": build_messages(extractor.prompt, context),
        "temperature": config.temperature,
    }
    if config.max_output_tokens:
        body["max_tokens"] = config.max_output_tokens
    mode = instructor.Mode.TOOLS if config.mode == "tools" else instructor.Mode.JSON
    _, prepared = handle_response_model(DesignView, mode=mode, **body)
    return prepared


def export_batch(
    paths: Iterable[Path], out: Path, extractor: LLMExtractor, parser: Parser
) -> BatchSummary:
    """Write one Batch API request line per paper not cached yet."""
    summary = BatchSummary()
    seen: set[str] = set()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for path in paths:
            try:
                document = parser.parse(Path(path))
            except ScreenerError as exc:
                summary.failed.append(str(exc))
                continue
            key = extractor.key_for(document)
            if document.sha256 in seen or extractor.store.get_extraction(key) is not None:
                summary.skipped.append(str(path))
                continue
            seen.add(document.sha256)
            line = {
                "custom_id": document.sha256,
                "method": "POST",
                "url": CHAT_URL,
                "body": request_body(extractor, document),
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            extractor.store.remember_batch_document(document.sha256, str(Path(path).resolve()), key)
            summary.written += 1
    return summary


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _answer_text(body: dict[str, Any]) -> str:
    """The JSON the model produced: the tool call's arguments, or the message content."""
    message = body["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    if calls:
        return calls[0]["function"]["arguments"]
    return message.get("content") or ""


class _Documents:
    """Finds the paper for a custom_id: among --pdfs by file hash, else where export found it."""

    def __init__(self, extractor: LLMExtractor, parser: Parser, pdfs: Iterable[Path]) -> None:
        self.extractor = extractor
        self.parser = parser
        self.by_sha: dict[str, Path] = {}
        for path in pdfs:
            try:
                self.by_sha[_file_sha256(Path(path))] = Path(path)
            except OSError as exc:
                raise ScreenerError(f"{path}: cannot read ({exc.strerror or exc})") from exc

    def get(self, sha: str) -> tuple[Document, str | None]:
        remembered = self.extractor.store.batch_document(sha)
        path = self.by_sha.get(sha) or (Path(remembered["source"]) if remembered else None)
        if path is None:
            raise ScreenerError(
                f"{sha[:12]}: paper unknown (not exported here; pass it with --pdfs)"
            )
        document = self.parser.parse(path)
        if document.sha256 != sha:
            raise ScreenerError(f"{path}: file changed since the export (sha256 differs)")
        return document, remembered["cache_key"] if remembered else None


def import_batch(
    results: Path, extractor: LLMExtractor, parser: Parser, pdfs: Iterable[Path] = ()
) -> BatchSummary:
    """Validate, ground and cache every answer of a Batch API results file."""
    summary = BatchSummary()
    documents = _Documents(extractor, parser, pdfs)
    try:
        lines = results.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ScreenerError(f"{results}: cannot read ({exc.strerror or exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            _import_line(line, extractor, documents, summary)
        except ScreenerError as exc:
            summary.failed.append(f"{results}:{number}: {exc}")
    return summary


def _import_line(
    line: str, extractor: LLMExtractor, documents: _Documents, summary: BatchSummary
) -> None:
    try:
        item = json.loads(line)
        sha = str(item["custom_id"])
        response = item.get("response") or {}
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ScreenerError("not a Batch API result line") from exc
    if item.get("error") or response.get("status_code") != 200:
        status = response.get("status_code")
        raise ScreenerError(f"{sha[:12]}: the batch request failed (status {status})")
    document, stored_key = documents.get(sha)
    body = response.get("body") or {}
    try:
        view = DesignView.model_validate_json(_answer_text(body))
    except (ValidationError, KeyError, IndexError, TypeError) as exc:
        raise ScreenerError(
            f"{document.source}: the batch answer does not match the schema"
        ) from exc
    config = extractor.config
    design, failed = ground_design(
        view.to_design(), DocumentIndex(document), config.grounding_threshold
    )
    design = extractor.scrub_design(flag_ungrounded(design, failed))
    usage_in = int((body.get("usage") or {}).get("prompt_tokens") or 0)
    usage_out = int((body.get("usage") or {}).get("completion_tokens") or 0)
    cost = config.cost(usage_in, usage_out, factor=config.batch_discount)
    usage = {
        "tokens_in": usage_in,
        "tokens_out": usage_out,
        "cost_usd": cost,
        "requests": 1,
        "cached": False,
    }
    key = stored_key or extractor.key_for(document)
    extractor.store.put_extraction(
        key,
        document_sha256=sha,
        prompt_sha256=extractor.prompt.sha256,
        schema_version=CACHE_SCHEMA_VERSION,
        model=extractor.model,
        settings=config.output_settings(),
        design=design.model_dump(mode="json"),
        usage=usage,
        origin="batch",
    )
    extractor.store.log_call(
        document_sha256=sha,
        cache_key=key,
        model=body.get("model") or extractor.model,
        base_url=safe_url(config.base_url),
        mode=f"batch-{config.mode}",
        attempt=1,
        status="ungrounded" if failed else "batch",
        http_status=200,
        request_json=None,
        response_json=extractor.scrub(json.dumps(body, ensure_ascii=False)),
        tokens_in=usage_in,
        tokens_out=usage_out,
        cost_usd=cost,
    )
    summary.written += 1
    summary.ungrounded += bool(failed)
    summary.tokens_in += usage_in
    summary.tokens_out += usage_out
    summary.cost_usd = round(summary.cost_usd + cost, 6)
