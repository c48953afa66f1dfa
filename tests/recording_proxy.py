"""A pass-through HTTP proxy on 127.0.0.1 that records what crosses it (tests only).

Put in front of a real server (the llama.cpp one), it lets a test count the requests that
really left the client and read their bodies and headers, without touching the client or the
server. Plain request/response only (no streaming), which is all the LLM extractor uses.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.openai_server import LoopbackServer, SeenRequest

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class RecordingProxy(LoopbackServer):
    def __init__(self, upstream_base_url: str, timeout_s: float = 600.0) -> None:
        parts = urlsplit(upstream_base_url)
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")  # e.g. /v1, kept in the proxy's own base URL
        self.responses: list[dict[str, Any]] = []
        self._client = httpx.Client(timeout=timeout_s)
        super().__init__()

    def chat_requests(self) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._client.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._forward("GET", b"")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                self._forward("POST", self.rfile.read(length) if length else b"")

            def _forward(self, method: str, raw: bytes) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = json.loads(raw) if raw else {}
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with proxy._lock:
                    proxy.requests.append(SeenRequest(self.path, headers, body))
                upstream = proxy._client.request(
                    method,
                    proxy.upstream + self.path,
                    content=raw or None,
                    headers={k: v for k, v in headers.items() if k not in _HOP_BY_HOP},
                )
                data = upstream.content
                with proxy._lock:
                    try:
                        proxy.responses.append(upstream.json())
                    except ValueError:
                        proxy.responses.append({"_raw": upstream.text})
                self.send_response(upstream.status_code)
                for name, value in upstream.headers.items():
                    if name.lower() not in _HOP_BY_HOP and name.lower() != "content-encoding":
                        self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
