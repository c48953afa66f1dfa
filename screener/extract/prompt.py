"""Prompts are files with named slots, loaded by name and hashed into every cache key.

A prompt file (`prompts/<name>.md`) starts with a version line (`<!-- prompt: NAME vN -->`),
then one chat message per `<!-- role: system|user -->` marker. Slots are written `{{name}}` and
filled in one pass, so text put into a slot (a paper) is never scanned for further slots.

Where prompts are found, first hit wins: $SCREENER_PROMPTS_DIR, `screener/prompts/` inside the
installed package (wheels), `prompts/` at the top of a source checkout.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from screener.errors import ScreenerError

_VERSION = re.compile(r"<!--\s*prompt:\s*(\S+)\s+(v\S+)\s*-->")
_ROLE = re.compile(r"^<!--\s*role:\s*(system|user|assistant)\s*-->\s*$", re.MULTILINE)
_SLOT = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)


def prompt_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("SCREENER_PROMPTS_DIR"):
        dirs.append(Path(os.environ["SCREENER_PROMPTS_DIR"]))
    package = Path(__file__).resolve().parent.parent
    dirs += [package / "prompts", package.parent / "prompts"]
    return dirs


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    sha256: str  # of the file's bytes: any edit changes every cache key that uses it
    messages: tuple[tuple[str, str], ...]  # (role, template)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def slots(self) -> set[str]:
        return {m.group(1) for _, text in self.messages for m in _SLOT.finditer(text)}

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with every slot filled; a slot without a value is an error."""
        missing = self.slots() - values.keys()
        if missing:
            raise ScreenerError(
                f"prompt {self.name}: no value for slot(s) {', '.join(sorted(missing))}"
            )
        return [
            {"role": role, "content": _SLOT.sub(lambda m: values[m.group(1)], text).strip()}
            for role, text in self.messages
        ]


def parse_prompt(name: str, raw: str) -> Prompt:
    first = raw.lstrip().splitlines()[0] if raw.strip() else ""
    found = _VERSION.match(first)
    if not found:
        raise ScreenerError(f"prompt {name}: first line must be '<!-- prompt: {name} vN -->'")
    parts = _ROLE.split(raw)
    # parts = [preamble, role1, body1, role2, body2, ...]
    messages = tuple(
        (role, _COMMENT.sub("", body).strip())
        for role, body in zip(parts[1::2], parts[2::2], strict=True)
    )
    if not messages:
        raise ScreenerError(f"prompt {name}: no '<!-- role: ... -->' section")
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return Prompt(name=found.group(1), version=found.group(2), sha256=digest, messages=messages)


@lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int) -> Prompt:
    return parse_prompt(path.stem, path.read_text(encoding="utf-8"))


def load_prompt(name: str) -> Prompt:
    """The prompt `name` from the first prompt folder that has it."""
    for folder in prompt_dirs():
        path = folder / f"{name}.md"
        if path.is_file():
            return _load(path, path.stat().st_mtime_ns)
    searched = ", ".join(str(d) for d in prompt_dirs())
    raise ScreenerError(f"prompt {name!r} not found (searched {searched})")
