"""A JSON data file read with the positions of its values, for diagnostics at line:col.

`json.loads` keeps no positions; `positions()` walks the (already valid) text once and
records where each value and each object key starts. `Reader` gives typed access to the
parsed data and reports every problem at its place in the file, the way the TypeScript
parser does (`file:line:col: message`, collected, raised once).
"""

from __future__ import annotations

import json
import re
from typing import Any

from codegen.errors import Collector
from codegen.spec import Pos

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()

Path = tuple[str | int, ...]  # keys and list indexes from the document's root


def positions(text: str) -> tuple[dict[Path, int], dict[Path, int]]:
    """Offsets of every value, and of every object key, in a well-formed JSON document."""
    values: dict[Path, int] = {}
    keys: dict[Path, int] = {}

    def walk(i: int, path: Path) -> int:
        i = _WS.match(text, i).end()
        values[path] = i
        if text[i] == "{":
            i = _WS.match(text, i + 1).end()
            if text[i] == "}":
                return i + 1
            while True:
                i = _WS.match(text, i).end()
                key_at = i
                key, i = json.decoder.scanstring(text, i + 1)
                keys[(*path, key)] = key_at
                i = _WS.match(text, i).end() + 1  # the ':'
                i = _WS.match(text, walk(i, (*path, key))).end()
                if text[i] == "}":
                    return i + 1
                i += 1  # the ','
        if text[i] == "[":
            i = _WS.match(text, i + 1).end()
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = _WS.match(text, walk(i, (*path, index))).end()
                index += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        return _DECODER.raw_decode(text, i)[1]

    walk(0, ())
    return values, keys


class Reader:
    """Typed access to the parsed file that reports problems at their place in the text."""

    def __init__(self, file: str, text: str | None, errors: Collector) -> None:
        self.file = file
        self.text = text
        self.errors = errors
        self.values, self.keys = positions(text) if text else ({}, {})

    def pos(self, path: Path, key: bool = False) -> Pos:
        table = self.keys if key else self.values
        while path and path not in table:  # fall back to the nearest enclosing value
            path, key, table = path[:-1], False, self.values
        offset = table.get(path)
        if offset is None or self.text is None:
            return Pos(self.file, 1, 1)
        line = self.text.count("\n", 0, offset) + 1
        return Pos(self.file, line, offset - self.text.rfind("\n", 0, offset))

    def error(self, path: Path, message: str, key: bool = False) -> None:
        self.errors.add(self.pos(path, key), message)

    def obj(
        self, value: Any, path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> bool:
        """An object with exactly these keys (plus "$comment..."); False when unusable."""
        if not isinstance(value, dict):
            self.error(path, f"{show(path)} must be an object")
            return False
        ok = True
        for key in value:
            if not key.startswith("$comment") and key not in required and key not in optional:
                self.error(
                    (*path, key),
                    f"unknown key '{key}' in {show(path)} (expected: {', '.join(required + optional)})",
                    key=True,
                )
        for key in required:
            if key not in value:
                self.error(path, f"{show(path)} lacks '{key}'")
                ok = False
        return ok

    def string(self, value: Any, path: Path) -> str | None:
        if isinstance(value, str) and value:
            return value
        self.error(path, f"{show(path)} must be a non-empty string")
        return None

    def number(self, value: Any, path: Path) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        self.error(path, f"{show(path)} must be a number")
        return None

    def boolean(self, value: Any, path: Path) -> bool | None:
        if isinstance(value, bool):
            return value
        self.error(path, f"{show(path)} must be true or false")
        return None


def show(path: Path) -> str:
    return "the file" if not path else "'" + ".".join(str(p) for p in path) + "'"
