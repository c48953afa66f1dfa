"""Refresh `constraints.txt`: the exact versions of screener and every extra, from a fresh venv.

`make lock` runs this. It creates a throw-away virtual environment, installs screener with ALL
the optional extras that pyproject.toml declares (read from the file, so a new extra is picked up
without editing this script), and writes what pip resolved as `name==version` lines. The Makefile
passes the file to every `pip install` as a constraints file (`-c`), so `make demo`, `make test`
and `make llm-local` install exactly these versions, on any machine, until the next refresh.

Usage (from the repository root): python scripts/lock.py [--python python3] [--out constraints.txt]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path

HEADER = """\
# Exact versions that screener's tests pass with, for every extra of pyproject.toml ({extras}).
# Used as a pip constraints file (-c) by `make demo`, `make test` and `make llm-local`.
# Refresh with `make lock` (scripts/lock.py: a fresh venv, all extras, pip freeze).
# Resolved on {date} with {python} on {platform}.
"""


def extras(pyproject: Path) -> list[str]:
    """Every optional extra of the project, in file order."""
    with open(pyproject, "rb") as handle:
        project = tomllib.load(handle)["project"]
    return list(project.get("optional-dependencies", {}))


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--python", default=sys.executable, help="interpreter for the fresh venv")
    cli.add_argument("--out", type=Path, default=Path("constraints.txt"))
    args = cli.parse_args()
    root = Path.cwd()
    names = extras(root / "pyproject.toml")
    target = f".[{','.join(names)}]" if names else "."
    venv = Path(tempfile.mkdtemp(prefix="screener-lock-"))
    try:
        print(f"fresh venv {venv}; installing {target}", flush=True)
        subprocess.run([args.python, "-m", "venv", str(venv)], check=True)
        pip = str(venv / "bin" / "pip")
        subprocess.run([pip, "install", "--quiet", "--upgrade", "pip"], check=True)
        # Editable, so that the project itself stays out of the freeze (--exclude-editable).
        subprocess.run([pip, "install", "--quiet", "-e", target], check=True, cwd=root)
        subprocess.run([pip, "check"], check=True)
        frozen = run(pip, "freeze", "--exclude-editable")
        python = run(str(venv / "bin" / "python"), "--version").strip()
        platform = run(
            str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_platform())"
        ).strip()
    finally:
        shutil.rmtree(venv, ignore_errors=True)
    pins = sorted(
        (line for line in frozen.splitlines() if "==" in line and not line.startswith("#")),
        key=str.lower,
    )
    header = HEADER.format(
        extras=", ".join(names) or "none",
        date=datetime.now(UTC).strftime("%Y-%m-%d"),
        python=python,
        platform=platform,
    )
    args.out.write_text(header + "\n".join(pins) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(pins)} pinned packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
