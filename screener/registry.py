"""Name -> backend lookup shared by the parser and extractor registries.

Backends are imported only when chosen, so the offline path never imports the LLM stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from screener.errors import ScreenerError


def load_backend(kind: str, table: dict[str, str], name: str, settings: Any) -> Any:
    """Build the backend `name` from `table` ("module:Class"), via its `from_settings`."""
    if name not in table:
        choices = ", ".join(sorted(table))
        raise ScreenerError(f"unknown {kind} {name!r} (choose from {choices})")
    module_name, _, class_name = table[name].partition(":")
    backend_class = getattr(import_module(module_name), class_name)
    return backend_class.from_settings(settings)
