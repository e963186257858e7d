"""SQLite DDL: `schema_quantum.sql`, and the statement list the Python targets embed.

Everything SQLite-specific lives here and in templates/sqlite/: type names, CHECK spellings,
triggers, `IF NOT EXISTS`. A PostgreSQL target would be a sibling module reading the same
`codegen.relational` view.

Re-running: tables, indexes and triggers use IF NOT EXISTS. SQLite has no
`ADD COLUMN IF NOT EXISTS`, so each ALTER TABLE is marked in `statements()`; the generated
`apply_schema()` skips those whose column is already there.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from dataclasses import dataclass

from codegen.errors import CodegenError, Diagnostic
from codegen.relational import Column, ColumnRole, TableView, tables
from codegen.render import Context, render_template, sql_ident, sql_literal
from codegen.spec import Field, Kind, Spec, TypeRef

SCHEMA_FILE = "schema_quantum.sql"

SQL_TYPES = {
    Kind.STRING: "TEXT",
    Kind.NUMBER: "REAL",
    Kind.BOOLEAN: "INTEGER",
    Kind.DATETIME: "TIMESTAMP",
    Kind.ENUM: "TEXT",
    Kind.ARRAY: "TEXT",  # JSON text
    Kind.RECORD: "TEXT",  # JSON text
    Kind.MODEL: "TEXT",  # JSON text (a model without a table)
}
JSON_TYPES = {Kind.ARRAY: "array", Kind.RECORD: "object", Kind.MODEL: "object"}
NOW = "CURRENT_TIMESTAMP"
INDENT = "    "
LINE = 100  # the line length .sqlfluff allows
ON_DELETE = {"cascade": "CASCADE", "restrict": "RESTRICT", "set null": "SET NULL", "no action": "NO ACTION"}


@dataclass(frozen=True, slots=True)
class Statement:
    """One DDL statement; `adds_column` = (table, column) for ALTER TABLE ... ADD COLUMN."""

    sql: str
    adds_column: tuple[str, str] | None = None


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    return {SCHEMA_FILE: script(spec)}


def script(spec: Spec) -> str:
    return render_template("sqlite/schema.sql.j2", tables=[_table_vm(spec, v) for v in tables(spec)])


def statements(spec: Spec) -> tuple[Statement, ...]:
    """The script's statements in order, comments dropped, ALTERs marked."""
    added = [(v.name, c.name) for v in tables(spec) for c in v.added_columns]
    out: list[Statement] = []
    buffer = ""
    for line in script(spec).splitlines(keepends=True):
        if not buffer and (line.startswith("--") or not line.strip()):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            sql = buffer.strip()
            buffer = ""
            if sql.upper().startswith("PRAGMA"):
                continue  # connection settings belong to connect(), not to a transaction
            mark = added.pop(0) if sql.startswith("ALTER TABLE") else None
            out.append(Statement(sql, mark))
    assert not buffer.strip() and not added, "schema template and view model disagree"
    return tuple(out)


# -- view model ------------------------------------------------------------------------------


def _table_vm(spec: Spec, view: TableView) -> dict:
    columns = view.columns
    if view.is_existing:  # created as the legacy table has them, in its order
        by_name = {c.name: c for c in columns}
        columns = tuple(by_name[name] for name in view.table.existing_columns)
    constraints = [f"UNIQUE ({', '.join(sql_ident(c) for c in cols)})" for cols in view.table.uniques]
    if view.parent is not None:
        parent = view.parent_table
        constraints.append(
            f"FOREIGN KEY ({sql_ident(view.parent.column)}) REFERENCES {sql_ident(parent.name)} "
            f"({sql_ident(parent.key_column)}) ON DELETE {ON_DELETE[view.parent.on_delete.value]}"
        )
    indexes = [(i.name, i.columns) for i in view.table.indexes]
    indexes += [(f.storage.index, (f.column,)) for f in view.model.fields if f.storage.index]
    return {
        "name": view.name,
        "ident": sql_ident(view.name),
        "comment": textwrap.wrap(f"{view.name}: {view.model.doc}", LINE - 3),
        "existing": view.is_existing,
        "definitions": [_column_sql(spec, view, c, existing=view.is_existing) for c in columns] + constraints,
        "added": [_added_sql(spec, view, c) for c in view.added_columns],
        "indexes": [
            {"ident": sql_ident(name), "columns": ", ".join(sql_ident(c) for c in cols)} for name, cols in indexes
        ],
        "updated_at": _updated_at_trigger(view),
        "sum_triggers": _sum_triggers(spec, view),
    }


def _column_sql(spec: Spec, view: TableView, col: Column, existing: bool = False, indent: str = INDENT) -> str:
    ident = sql_ident(col.name)
    if col.role is ColumnRole.SURROGATE_KEY:
        return f"{ident} INTEGER PRIMARY KEY AUTOINCREMENT"
    if col.role is ColumnRole.PARENT_KEY:
        parent = view.parent_table
        key = parent.key_field
        key_type = SQL_TYPES[key.type.kind] if key else "INTEGER"
        return f"{ident} {key_type} NOT NULL"
    if col.role in (ColumnRole.CREATED_AT, ColumnRole.UPDATED_AT):
        return f"{ident} TIMESTAMP DEFAULT {NOW}"
    f = col.field
    assert f is not None
    parts = [ident, SQL_TYPES[f.type.kind]]
    if f.storage.primary_key:
        parts.append("PRIMARY KEY")
    elif not column_nullable(f):
        parts.append("NOT NULL")
    default = None if existing else _default_sql(f)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if f.storage.unique:
        parts.append("UNIQUE")
    checks = [] if existing else check_expressions(spec, f)
    if checks:  # one condition a line, so the file stays readable and lint-clean
        inner = indent + INDENT
        body = f"\n{inner}AND ".join(_indent(c, indent) for c in checks)
        if column_nullable(f):  # JSON_VALID(NULL) and TYPEOF(NULL) are false, not NULL
            body = f"{ident} IS NULL\n{inner}OR {body}"  # AND binds tighter than OR
        parts.append(f"CHECK (\n{inner}{body}\n{indent})")
    return " ".join(parts)


def _added_sql(spec: Spec, view: TableView, col: Column) -> str:
    f = col.field
    if f is not None and not column_nullable(f) and f.constraints.default is None:
        raise CodegenError(
            [Diagnostic(f.pos, f"'{view.model.name}.{f.name}' is added to existing table '{view.name}': "
                        "SQLite can only add it with a constant @default or as nullable")]
        )  # fmt: skip
    return f"ALTER TABLE {sql_ident(view.name)} ADD COLUMN {_column_sql(spec, view, col, indent='')}"


def column_nullable(f: Field) -> bool:
    """NULL is stored for a nullable field, and for an optional one with no default (absent)."""
    return f.nullable or (f.optional and not f.constraints.has_default)


def _default_sql(f: Field) -> str | None:
    c = f.constraints
    if c.default_now:
        return NOW
    value = c.default_value
    if value is None:
        return None
    if f.type.kind is Kind.NUMBER:
        return repr(float(value))
    if isinstance(value, (list, dict)):
        return sql_literal(json.dumps(value, separators=(",", ":")))
    return sql_literal(value)


def check_expressions(spec: Spec, f: Field) -> list[str]:
    """The CHECK conditions that make SQLite accept what the Pydantic model accepts."""
    col, c, kind = sql_ident(f.column), f.constraints, f.type.kind
    checks: list[str] = []
    if kind is Kind.NUMBER:
        # REAL affinity turns '0.5' into 0.5; what stays text ('abc') is rejected here
        checks.append(f"TYPEOF({col}) IN ('integer', 'real')")
        for attr, op in (("minimum", ">="), ("maximum", "<="), ("exclusive_minimum", ">"), ("exclusive_maximum", "<")):
            bound = getattr(c, attr)
            if bound is not None:
                checks.append(f"{col} {op} {float(bound)!r}")
    elif kind is Kind.BOOLEAN:
        checks.append(f"{col} IN (0, 1)")
    elif kind is Kind.ENUM:
        checks.append(_in_list(col, [sql_literal(v) for v in spec.enum(f.type.name).values]))
    elif kind in JSON_TYPES:
        checks.append(f"JSON_VALID({col})")
        checks.append(f"JSON_TYPE({col}) = '{JSON_TYPES[kind]}'")
        if c.min_items is not None:
            checks.append(f"JSON_ARRAY_LENGTH({col}) >= {c.min_items}")
        if c.max_items is not None:
            checks.append(f"JSON_ARRAY_LENGTH({col}) <= {c.max_items}")
    if kind is Kind.STRING:
        if c.min_length is not None:
            checks.append(f"LENGTH({col}) >= {c.min_length}")
        if c.max_length is not None:
            checks.append(f"LENGTH({col}) <= {c.max_length}")
    return checks


def _in_list(col: str, literals: list[str]) -> str:
    """`col IN (...)` on one line, or one value a line when that would be too long."""
    one_line = f"{col} IN ({', '.join(literals)})"
    if len(one_line) + len(INDENT) * 2 <= LINE:
        return one_line
    inner = f",\n{INDENT}".join(literals)
    return f"{col} IN (\n{INDENT}{inner}\n)"


def _indent(text: str, indent: str) -> str:
    """Indent the continuation lines of a multi-line condition to sit inside its CHECK."""
    return text.replace("\n", "\n" + indent + INDENT)


def _updated_at_trigger(view: TableView) -> dict | None:
    stamp = view.table.updated_at
    if stamp is None:
        return None
    return {
        "ident": sql_ident(f"trg_{view.name}_{stamp}"),
        "table": sql_ident(view.name),
        "stamp": sql_ident(stamp),
        "key": sql_ident(view.key_column),
    }


def _sum_triggers(spec: Spec, view: TableView) -> list[dict]:
    """A child table whose parent field carries @sum gets INSERT and UPDATE guards."""
    rel = view.parent
    if rel is None:
        return []
    parent_field = next(f for f in spec.model(rel.parent).fields if f.name == rel.parent_field)
    rule = parent_field.constraints.sum
    if rule is None:
        return []
    target = next(f for f in view.model.fields if f.name == rule.field)
    limit = rule.total + rule.tolerance
    message = f"{view.name}.{target.column} sums past {rule.total!r} for one {rel.column}"
    base = {
        "table": sql_ident(view.name),
        "column": sql_ident(target.column),
        "fk": sql_ident(rel.column),
        "limit": repr(round(limit, 12)),
        "message": sql_literal(message),
    }
    return [
        {**base, "ident": sql_ident(f"trg_{view.name}_{target.column}_sum_insert"), "event": "INSERT"},
        {
            **base,
            "ident": sql_ident(f"trg_{view.name}_{target.column}_sum_update"),
            "event": f"UPDATE OF {sql_ident(target.column)}, {sql_ident(rel.column)}",
        },
    ]


def sql_type(ref: TypeRef) -> str:
    return SQL_TYPES[ref.kind]
