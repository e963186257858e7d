"""JSDoc: comments into tags, and tags into the spec's constraints and storage facts.

The tag vocabulary lives here, in one place: ts-json-schema-generator's constraint tags and
codegen's own storage tags (see the README). Every bad tag becomes a diagnostic at the tag.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from codegen.errors import Collector
from codegen.spec import (
    Constraints,
    Index,
    OnDelete,
    Pos,
    Storage,
    SumRule,
    Table,
    TypeRef,
    canonical_json,
)

# JSDoc tags that only document; accepted and ignored.
DOC_ONLY_TAGS = {"see", "example", "remarks", "deprecated", "since", "link", "description", "title"}
NUMBER_TAGS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
}
COUNT_TAGS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_items",
    "maxItems": "max_items",
}
FIELD_TAGS = set(NUMBER_TAGS) | set(COUNT_TAGS) | {
    "pattern", "format", "default", "defaultNow", "sum",
    "primaryKey", "column", "unique", "index", "foreignKey", "onDelete", "renamedFrom",
}  # fmt: skip
MODEL_TAGS = {"table", "existingTable", "createdAt", "updatedAt", "unique", "index", "alias"}
ENUM_TAGS: set[str] = set()
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(slots=True)
class Tag:
    name: str
    value: str
    pos: Pos


@dataclass(slots=True)
class Doc:
    text: str = ""
    tags: list[Tag] = field(default_factory=list)


class TagReader:
    """Interprets tags, reporting every bad one to `errors`."""

    def __init__(self, errors: Collector) -> None:
        self.errors = errors

    def check_tags(self, doc: Doc, allowed: set[str], where: str) -> None:
        for tag in doc.tags:
            if tag.name not in allowed and tag.name not in DOC_ONLY_TAGS:
                hint = ""
                close = difflib.get_close_matches(tag.name, sorted(allowed), n=1)
                if close:
                    hint = f" (did you mean @{close[0]}?)"
                elif tag.name in FIELD_TAGS | MODEL_TAGS:
                    hint = " here"
                self.errors.add(tag.pos, f"tag @{tag.name} is not supported on {where}{hint}")

    def constraints(self, doc: Doc, ref: TypeRef) -> Constraints:
        values: dict[str, object] = {}
        for tag in doc.tags:
            if tag.name in NUMBER_TAGS:
                number = self.number(tag)
                if number is not None:
                    values[NUMBER_TAGS[tag.name]] = number
            elif tag.name in COUNT_TAGS:
                count = self.number(tag)
                if count is not None:
                    if count != int(count) or count < 0:
                        self.errors.add(
                            tag.pos, f"@{tag.name} needs a whole number >= 0, got '{tag.value}'"
                        )
                    else:
                        values[COUNT_TAGS[tag.name]] = int(count)
            elif tag.name == "pattern":
                try:
                    re.compile(tag.value)
                    values["pattern"] = tag.value
                except re.error as exc:
                    self.errors.add(tag.pos, f"@pattern is not a valid regular expression: {exc}")
            elif tag.name == "format":
                values["format"] = tag.value
            elif tag.name == "default":
                try:
                    values["default"] = canonical_json(json.loads(tag.value))
                except json.JSONDecodeError:
                    self.errors.add(
                        tag.pos,
                        f"@default needs a JSON value (strings in double quotes), got '{tag.value}'",
                    )
            elif tag.name == "defaultNow":
                values["default_now"] = True
            elif tag.name == "sum":
                parts = tag.value.split()
                try:
                    if len(parts) != 3 or not _IDENT.match(parts[0]):
                        raise ValueError
                    values["sum"] = SumRule(parts[0], float(parts[1]), float(parts[2]))
                except ValueError:
                    self.errors.add(
                        tag.pos, f"@sum needs 'FIELD TOTAL TOLERANCE', got '{tag.value}'"
                    )
        return Constraints(**values)  # type: ignore[arg-type]

    def number(self, tag: Tag) -> float | None:
        try:
            value = float(tag.value)
        except ValueError:
            self.errors.add(tag.pos, f"@{tag.name} needs a number, got '{tag.value}'")
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.errors.add(tag.pos, f"@{tag.name} needs a finite number, got '{tag.value}'")
            return None
        return int(value) if value == int(value) and "." not in tag.value else value

    def storage(self, doc: Doc) -> Storage:
        values: dict[str, object] = {}
        for tag in doc.tags:
            if tag.name == "primaryKey":
                values["primary_key"] = True
            elif tag.name == "unique":
                values["unique"] = True
            elif tag.name in ("column", "foreignKey", "renamedFrom"):
                if self.identifier(tag):
                    key = {
                        "column": "column",
                        "foreignKey": "foreign_key",
                        "renamedFrom": "renamed_from",
                    }[tag.name]
                    values[key] = tag.value
            elif tag.name == "index":
                if tag.value and not self.identifier(tag):
                    continue
                values["index"] = tag.value or ""
            elif tag.name == "onDelete":
                try:
                    values["on_delete"] = OnDelete(tag.value.lower())
                except ValueError:
                    choices = ", ".join(o.value for o in OnDelete)
                    self.errors.add(
                        tag.pos, f"@onDelete must be one of {choices}; got '{tag.value}'"
                    )
        return Storage(**values)  # type: ignore[arg-type]

    def identifier(self, tag: Tag, value: str | None = None) -> bool:
        value = tag.value if value is None else value
        if not _IDENT.match(value):
            self.errors.add(
                tag.pos, f"@{tag.name} needs a name of letters, digits and '_', got '{value}'"
            )
            return False
        return True

    def table(self, doc: Doc) -> Table | None:
        tags = {t.name: t for t in doc.tags}
        if "table" not in tags:
            for t in doc.tags:
                if t.name in {"existingTable", "createdAt", "updatedAt", "unique", "index"}:
                    self.errors.add(t.pos, f"@{t.name} needs @table on the same interface")
            return None
        if not self.identifier(tags["table"]):
            return None
        uniques: list[tuple[str, ...]] = []
        indexes: list[Index] = []
        existing: tuple[str, ...] = ()
        for t in doc.tags:
            if t.name == "unique":
                cols = self.column_list(t, t.value)
                if cols:
                    uniques.append(cols)
            elif t.name == "index":
                name, _, rest = t.value.partition(" ")
                cols = self.column_list(t, rest)
                if cols and self.identifier(t, name):
                    indexes.append(Index(name, cols))
            elif t.name == "existingTable":
                existing = self.column_list(t, t.value) or ()
            elif t.name in ("createdAt", "updatedAt"):
                self.identifier(t)
        created = tags.get("createdAt")
        updated = tags.get("updatedAt")
        return Table(
            name=tags["table"].value,
            existing_columns=existing,
            created_at=created.value if created else None,
            updated_at=updated.value if updated else None,
            uniques=tuple(uniques),
            indexes=tuple(indexes),
        )

    def column_list(self, tag: Tag, text: str) -> tuple[str, ...] | None:
        cols = tuple(c.strip() for c in text.replace(",", " ").split() if c.strip())
        if not cols:
            self.errors.add(tag.pos, f"@{tag.name} needs column names")
            return None
        if not all(self.identifier(tag, c) for c in cols):
            return None
        return cols


def split_tags(line: str) -> list[tuple[int, str]]:
    """Split one comment line at each '@tag' (not inside a value like an e-mail address)."""
    starts = [m.start() for m in re.finditer(r"(?:(?<=\s)|^)@[A-Za-z]", line)]
    if not starts:
        return [(0, line)]
    pieces = []
    if starts[0] > 0:
        pieces.append((0, line[: starts[0]]))
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(line)
        pieces.append((s, line[s:end].rstrip()))
    return pieces
