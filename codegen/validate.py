"""Spec -> diagnostics: the semantic rules every target relies on.

Runs on specs from the parser and from `spec/*.json` alike, so a target never meets a
dangling reference, a tag on the wrong kind of field or a default its own column rejects.
"""

from __future__ import annotations

import json
from collections import Counter

from codegen.errors import Collector, Diagnostic
from codegen.relational import is_table_model, tables
from codegen.spec import Field, Kind, Model, Spec, TypeRef

NUMERIC_TAGS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
STRING_TAGS = ("min_length", "max_length", "pattern")
ARRAY_TAGS = ("min_items", "max_items")


def validate(spec: Spec) -> None:
    """Raise CodegenError listing every rule the spec breaks."""
    errors = Collector()
    errors.items.extend(diagnose(spec))
    errors.raise_if_any()


def diagnose(spec: Spec) -> list[Diagnostic]:
    """Every rule the spec breaks (storage rules only once the types resolve)."""
    errors = Collector()
    _names(spec, errors)
    for e in spec.enums:
        if not e.values:
            errors.add(e.pos, f"vocabulary '{e.name}' has no values")
        for value, count in Counter(e.values).items():
            if count > 1:
                errors.add(e.pos, f"vocabulary '{e.name}' lists '{value}' {count} times")
    resolved = True
    for m in spec.models:
        for f in m.fields:
            if _refs_ok(spec, f.type, f, errors):
                _field(spec, m, f, errors)
            else:
                resolved = False
    if resolved:  # the storage rules follow references, so they need every one to resolve
        _storage(spec, errors)
    return errors.items


def _names(spec: Spec, errors: Collector) -> None:
    seen: dict[str, object] = {}
    for item in (*spec.enums, *spec.models):
        if item.name in seen:
            errors.add(item.pos, f"'{item.name}' is declared twice")
        seen[item.name] = item


def _refs_ok(spec: Spec, ref: TypeRef, f: Field, errors: Collector) -> bool:
    if ref.item is not None:
        return _refs_ok(spec, ref.item, f, errors)
    known = {Kind.ENUM: {e.name for e in spec.enums}, Kind.MODEL: {m.name for m in spec.models}}
    if ref.kind in known and ref.name not in known[ref.kind]:
        errors.add(
            f.pos,
            f"unknown type '{ref.name}' in field '{f.name}' (declare it, or use a supported type)",
        )
        return False
    return True


def _field(spec: Spec, m: Model, f: Field, errors: Collector) -> None:
    c, where = f.constraints, f"'{m.name}.{f.name}'"
    kind = f.type.kind
    for tag, allowed, what in (
        (NUMERIC_TAGS, kind is Kind.NUMBER, "number"),
        (STRING_TAGS, kind is Kind.STRING, "string"),
        (ARRAY_TAGS, kind is Kind.ARRAY, "array"),
    ):
        for name in tag:
            if getattr(c, name) is not None and not allowed:
                errors.add(f.pos, f"{where}: @{_camel(name)} applies to {what} fields only")
    if c.format is not None and kind not in (Kind.STRING, Kind.DATETIME):
        errors.add(f.pos, f"{where}: @format applies to string and Date fields only")
    if c.default_now and kind is not Kind.DATETIME:
        errors.add(f.pos, f"{where}: @defaultNow applies to Date fields only")
    if c.default_now and c.default is not None:
        errors.add(f.pos, f"{where}: use either @default or @defaultNow, not both")
    if c.minimum is not None and c.maximum is not None and c.minimum > c.maximum:
        errors.add(f.pos, f"{where}: @minimum {c.minimum} is above @maximum {c.maximum}")
    if c.default is not None:
        problem = _default_problem(spec, f, json.loads(c.default))
        if problem:
            errors.add(f.pos, f"{where}: @default {c.default} {problem}")
    if c.sum is not None:
        item = f.type.item
        if kind is not Kind.ARRAY or item is None or item.kind is not Kind.MODEL:
            errors.add(f.pos, f"{where}: @sum applies to arrays of objects only")
        else:
            target = next((g for g in spec.model(item.name).fields if g.name == c.sum.field), None)
            if target is None or target.type.kind is not Kind.NUMBER:
                errors.add(
                    f.pos,
                    f"{where}: @sum names '{c.sum.field}', which is not a number field of '{item.name}'",
                )


def _default_problem(spec: Spec, f: Field, value: object) -> str | None:
    if value is None:
        return None if f.nullable else "is null, but the field is not nullable (add '| null')"
    kind = f.type.kind
    expected = {
        Kind.STRING: str,
        Kind.ENUM: str,
        Kind.BOOLEAN: bool,
        Kind.ARRAY: list,
        Kind.RECORD: dict,
        Kind.MODEL: dict,
    }
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "is not a number"
        c = f.constraints
        if (c.minimum is not None and value < c.minimum) or (
            c.maximum is not None and value > c.maximum
        ):
            return "is outside the field's bounds"
        return None
    if kind is Kind.DATETIME:
        return "is not supported on a Date field (use @defaultNow)"
    if not isinstance(value, expected[kind]):
        return f"does not match the field's type ({kind.value})"
    if kind is Kind.ENUM and value not in spec.enum(f.type.name).values:
        return f"is not one of {', '.join(spec.enum(f.type.name).values)}"
    return None


def _storage(spec: Spec, errors: Collector) -> None:
    before = len(errors.items)
    parents: dict[str, str] = {}
    for m in spec.models:
        keys = [f for f in m.fields if f.storage.primary_key]
        for f in m.fields:
            s, where = f.storage, f"'{m.name}.{f.name}'"
            child = is_table_model(spec, f.type)
            if child and m.table is None:
                errors.add(f.pos, f"{where} holds rows of a table, so '{m.name}' needs @table too")
            elif child and s.foreign_key is None:
                errors.add(
                    f.pos,
                    f"{where} holds rows of another table: say which column links them with @foreignKey",
                )
            elif not child and (s.foreign_key or s.on_delete):
                errors.add(
                    f.pos, f"{where}: @foreignKey/@onDelete apply to fields holding rows of a table"
                )
            if child:
                item = f.type.item if f.type.kind is Kind.ARRAY else f.type
                if item.name in parents:
                    errors.add(
                        f.pos,
                        f"'{item.name}' rows already belong to '{parents[item.name]}'; a table has one parent",
                    )
                parents[item.name] = f"{m.name}.{f.name}"
            if (s.primary_key or s.unique or s.index is not None or s.column) and (
                m.table is None or child
            ):
                errors.add(
                    f.pos,
                    f"{where}: @primaryKey/@column/@unique/@index apply to columns of a @table model",
                )
            if s.primary_key and (
                f.optional or f.nullable or f.type.kind not in (Kind.STRING, Kind.NUMBER)
            ):
                errors.add(f.pos, f"{where}: a @primaryKey must be a required string or number")
        if len(keys) > 1:
            errors.add(keys[1].pos, f"'{m.name}' has more than one @primaryKey")
    if len(errors.items) > before:  # the table checks below assume sound relations
        return
    table_names: dict[str, str] = {}
    index_names: dict[str, str] = {}
    for view in tables(spec):
        m = view.model
        if view.name in table_names:
            errors.add(m.pos, f"table '{view.name}' is used by '{table_names[view.name]}' too")
        table_names[view.name] = m.name
        columns = [c.name for c in view.columns]
        for name, count in Counter(columns).items():
            if count > 1:
                errors.add(m.pos, f"table '{view.name}' would have column '{name}' {count} times")
        for group, what in ((view.table.existing_columns, "@existingTable"),):
            for col in group:
                if col not in columns:
                    errors.add(
                        m.pos, f"{what} names '{col}', which is not a column of '{view.name}'"
                    )
        if view.is_existing and view.key_column not in view.table.existing_columns:
            errors.add(
                m.pos,
                f"@existingTable must list the key column '{view.key_column}' (SQL cannot add a primary key)",
            )
        for cols in view.table.uniques:
            for col in cols:
                if col not in columns:
                    errors.add(
                        m.pos, f"@unique names '{col}', which is not a column of '{view.name}'"
                    )
        indexed = [(i.name, i.columns) for i in view.table.indexes]
        indexed += [(f.storage.index, (f.column,)) for f in m.fields if f.storage.index]
        for name, cols in indexed:
            for col in cols:
                if col not in columns:
                    errors.add(
                        m.pos,
                        f"index '{name}' names '{col}', which is not a column of '{view.name}'",
                    )
            if name in index_names:
                errors.add(m.pos, f"index name '{name}' is used twice")
            index_names[name] = view.name
    for name in table_names:
        if name in index_names:
            errors.add(
                spec.model(table_names[name]).pos, f"'{name}' names both a table and an index"
            )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
