"""JSON Schema (draft 2020-12): `narrative_streams.schema.json`, and the dict the Pydantic target reads.

The document's root is the root aggregate (the table model that is nobody's child), so another
service validates a whole session with the file as it is; every vocabulary and model is also
under `$defs` for validating one part (`#/$defs/NarrativeStream`). A spec without tables has
no aggregate: its document only defines `$defs`.

Decisions, for the frontend and other services:
- `additionalProperties: false` on every model. A misspelt key (`probabilty`) would otherwise
  pass and silently fall back to its default, which is lost data; TypeScript's object literals
  reject unknown keys too. The Pydantic models follow (datamodel-code-generator reads it as
  `extra="forbid"`), so the backend and the frontend refuse the same payloads.
- Optional (`?`) and nullable (`| null`) stay two facts: optional = not in `required`;
  nullable = `anyOf [T, {"type": "null"}]`, with the description and default beside the anyOf.
- `Date` is `{"type": "string", "format": "date-time"}` (RFC 3339); `format` is an annotation
  in 2020-12, so SQLite's offset-less 'YYYY-MM-DD HH:MM:SS' still passes a default validator.
- Storage facts (tables, columns, keys) are not here: they are SQL's business, not the wire
  format's. The two rules a validator cannot check but a reader should know travel as `x-`
  annotations, which standard validators ignore: `x-sum` (the items' number field sums to a
  total) and `x-defaultNow` (the server fills in the current time when the key is absent).
"""

from __future__ import annotations

import json
from typing import Any

from codegen.relational import root_tables
from codegen.render import Context
from codegen.spec import Field, Kind, Model, Spec, TypeRef

SCHEMA_FILE = "narrative_streams.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOW_KEY = "x-defaultNow"
SUM_KEY = "x-sum"

# Primitive kinds -> their schema; ENUM/MODEL are $refs, ARRAY/RECORD wrap their item.
PRIMITIVES: dict[Kind, dict[str, Any]] = {
    Kind.STRING: {"type": "string"},
    Kind.NUMBER: {"type": "number"},
    Kind.BOOLEAN: {"type": "boolean"},
    Kind.DATETIME: {"type": "string", "format": "date-time"},
}

# Constraints attribute -> JSON Schema keyword, in the order they are written.
KEYWORDS = (
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("exclusive_minimum", "exclusiveMinimum"),
    ("exclusive_maximum", "exclusiveMaximum"),
    ("min_length", "minLength"),
    ("max_length", "maxLength"),
    ("pattern", "pattern"),
    ("format", "format"),
    ("min_items", "minItems"),
    ("max_items", "maxItems"),
)


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    return {SCHEMA_FILE: json.dumps(build_schema(spec), indent=2, ensure_ascii=False) + "\n"}


def build_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema document as a dict (the Pydantic target feeds it to datamodel-codegen)."""
    defs: dict[str, Any] = {}
    for e in spec.enums:
        defs[e.name] = _drop_empty({"type": "string", "description": e.doc, "enum": list(e.values)})
    for m in spec.models:
        defs[m.name] = model_schema(m)
    doc: dict[str, Any] = {"$schema": DIALECT}
    root = root_model(spec)
    if root is not None:
        # A $ref beside a title: the root is the model itself, not a copy of it.
        doc.update(_drop_empty({"title": root.name, "description": root.doc}))
        doc["$ref"] = _ref(root.name)
    doc["$defs"] = defs
    return doc


def root_model(spec: Spec) -> Model | None:
    """The aggregate a whole document describes: the first table nobody owns, if any."""
    roots = root_tables(spec)
    return roots[0].model if roots else None


def model_schema(m: Model) -> dict[str, Any]:
    """A closed object schema for one model."""
    out: dict[str, Any] = _drop_empty({"type": "object", "description": m.doc})
    out["properties"] = {f.name: field_schema(f) for f in m.fields}
    required = [f.name for f in m.fields if not f.optional]
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


def field_schema(f: Field) -> dict[str, Any]:
    """One property: its type with constraints, made nullable, then described and defaulted."""
    schema = type_schema(f.type)
    c = f.constraints
    for attr, keyword in KEYWORDS:
        value = getattr(c, attr)
        if value is not None:
            schema[keyword] = value
    if f.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    head = _drop_empty({"description": f.doc})
    if c.default is not None:
        head["default"] = c.default_value
    if c.default_now:
        head[NOW_KEY] = True
    if c.sum is not None:
        head[SUM_KEY] = {"field": c.sum.field, "total": c.sum.total, "tolerance": c.sum.tolerance}
    return {**head, **schema}


def type_schema(ref: TypeRef) -> dict[str, Any]:
    """The schema of a type reference (a fresh dict: callers add keywords to it)."""
    if ref.kind in PRIMITIVES:
        return dict(PRIMITIVES[ref.kind])
    if ref.kind in (Kind.ENUM, Kind.MODEL):
        assert ref.name is not None
        return {"$ref": _ref(ref.name)}
    assert ref.item is not None
    if ref.kind is Kind.ARRAY:
        return {"type": "array", "items": type_schema(ref.item)}
    return {"type": "object", "additionalProperties": type_schema(ref.item)}  # Kind.RECORD


def _ref(name: str) -> str:
    return f"#/$defs/{name}"


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in ("", None)}
