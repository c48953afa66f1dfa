"""A scripted OpenAI-compatible chat server on 127.0.0.1 for tests (no network, no mocks).

`ScriptedServer` speaks `POST /v1/chat/completions` over a real socket. Each request takes the
next `Step` of its script (the last step repeats once the script runs out): an answer (sent as a
tool call when the request offered tools, else as JSON message content), an HTTP error, a delay
longer than the client's timeout, or a dropped connection. It records every request it saw,
headers included, so tests can count requests and check what was (not) sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Step:
    answer: dict[str, Any] | None = None  # the record the "model" returns
    raw: str | None = None  # returned verbatim instead of json.dumps(answer) (invalid JSON...)
    status: int = 200
    error_body: dict[str, Any] | None = None
    delay_s: float = 0.0  # sleep before answering (longer than the client timeout = timeout)
    drop: bool = False  # close the connection without an answer
    headers: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int = 1000
    completion_tokens: int = 200
    finish_reason: str = "stop"


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) that records the requests it sees;
    `with` starts and stops it. Subclasses supply `_handler_class` and the URL `prefix`."""

    prefix = "/v1"

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class ScriptedServer(LoopbackServer):
    def __init__(self, steps: list[Step]) -> None:
        self.steps = list(steps)
        self.in_flight = 0
        self.max_in_flight = 0
        super().__init__()

    def _next(self, seen: SeenRequest) -> Step:
        with self._lock:
            index = len(self.requests)
            self.requests.append(seen)
            return self.steps[min(index, len(self.steps) - 1)]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                seen = SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                step = server._next(seen)
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(step, body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, step: Step, body: dict[str, Any]) -> None:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                if step.delay_s:
                    time.sleep(step.delay_s)
                if step.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                if step.status != 200:
                    error = step.error_body or {"error": {"message": f"scripted {step.status}"}}
                    self._send(step.status, error, step.headers)
                    return
                self._send(200, completion(body, step), step.headers)

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        return Handler


def completion(request: dict[str, Any], step: Step) -> dict[str, Any]:
    """A chat.completion object answering `request` the way the request asked for."""
    text = step.raw if step.raw is not None else json.dumps(step.answer or {})
    message: dict[str, Any] = {"role": "assistant", "content": None}
    tools = request.get("tools") or []
    if tools:
        name = tools[0]["function"]["name"]
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
        ]
        finish = "tool_calls" if step.finish_reason == "stop" else step.finish_reason
    else:
        message["content"] = text
        finish = step.finish_reason
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "test-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": step.prompt_tokens,
            "completion_tokens": step.completion_tokens,
            "total_tokens": step.prompt_tokens + step.completion_tokens,
        },
    }
