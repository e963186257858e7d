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
import textwrap
from dataclasses import dataclass

from codegen.errors import CodegenError, Diagnostic
from codegen.relational import Column, ColumnRole, TableView, tables
from codegen.render import Context, render_template, sql_ident, sql_literal
from codegen.spec import Field, Kind, Spec

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
ON_DELETE = {
    "cascade": "CASCADE",
    "restrict": "RESTRICT",
    "set null": "SET NULL",
    "no action": "NO ACTION",
}


@dataclass(frozen=True, slots=True)
class Statement:
    """One DDL statement; `adds_column` = (table, column) for ALTER TABLE ... ADD COLUMN."""

    sql: str
    adds_column: tuple[str, str] | None = None


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    return {SCHEMA_FILE: script(spec)}


def script(spec: Spec) -> str:
    return render_template(
        "sqlite/schema.sql.j2", tables=[table_ddl(spec, v) for v in tables(spec)]
    )


def statements(spec: Spec) -> tuple[Statement, ...]:
    """Every DDL statement of the schema in order (no PRAGMAs); ALTERs carry their column."""
    out: list[Statement] = []
    for ddl in (table_ddl(spec, v) for v in tables(spec)):
        out.append(Statement(ddl.create()))
        out.extend(Statement(sql, (ddl.name, column)) for column, sql in ddl.alters)
        out.extend(Statement(sql) for _, sql in ddl.indexes + ddl.triggers)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class TableDDL:
    """One table's DDL, statement by statement, so a migration can reuse any piece of it."""

    name: str
    comment: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (column, definition) in CREATE TABLE
    constraints: tuple[str, ...]  # table constraints: UNIQUE, FOREIGN KEY
    alters: tuple[
        tuple[str, str], ...
    ]  # (column, ALTER TABLE ... ADD COLUMN) for an existing table
    indexes: tuple[tuple[str, str], ...]  # (name, CREATE INDEX)
    triggers: tuple[tuple[str, str], ...]  # (name, CREATE TRIGGER)

    def create(self, name: str | None = None, if_not_exists: bool = True) -> str:
        return render_template(
            "sqlite/create_table.sql.j2",
            ident=sql_ident(name or self.name),
            if_not_exists=if_not_exists,
            definitions=[d for _, d in self.columns] + list(self.constraints),
        ).strip()


def table_ddl(spec: Spec, view: TableView, full: bool = False) -> TableDDL:
    """The table's DDL. An @existingTable is created as the legacy table has it (its listed
    columns, in that order, without new constraints) plus one ALTER per new column; with
    `full`, every column is in CREATE TABLE (what a rebuild of the table needs)."""
    columns = view.columns
    existing = view.is_existing and not full
    if existing:
        by_name = {c.name: c for c in columns}
        columns = tuple(by_name[name] for name in view.table.existing_columns)
    constraints = [
        f"UNIQUE ({', '.join(sql_ident(c) for c in cols)})" for cols in view.table.uniques
    ]
    if view.parent is not None:
        parent = view.parent_table
        constraints.append(
            f"FOREIGN KEY ({sql_ident(view.parent.column)}) REFERENCES {sql_ident(parent.name)} "
            f"({sql_ident(parent.key_column)}) ON DELETE {ON_DELETE[view.parent.on_delete.value]}"
        )
    table = sql_ident(view.name)
    indexes = [(i.name, i.columns) for i in view.table.indexes]
    indexes += [(f.storage.index, (f.column,)) for f in view.model.fields if f.storage.index]
    return TableDDL(
        name=view.name,
        comment=tuple(textwrap.wrap(f"{view.name}: {view.model.doc}", LINE - 3)),
        columns=tuple(
            (
                c.name,
                _column_sql(
                    spec, view, c, existing=existing and c.name in view.table.existing_columns
                ),
            )
            for c in columns
        ),
        constraints=tuple(constraints),
        alters=tuple((c.name, _added_sql(spec, view, c)) for c in view.added_columns)
        if existing
        else (),
        indexes=tuple(
            (
                name,
                f"CREATE INDEX IF NOT EXISTS {sql_ident(name)} ON {table} ({', '.join(sql_ident(c) for c in cols)});",
            )
            for name, cols in indexes
        ),
        triggers=_triggers(spec, view),
    )


def _triggers(spec: Spec, view: TableView) -> tuple[tuple[str, str], ...]:
    out = []
    stamp = view.table.updated_at
    if stamp is not None:
        name = f"trg_{view.name}_{stamp}"
        out.append((name, render_template(
            "sqlite/updated_at_trigger.sql.j2",
            ident=sql_ident(name), table=sql_ident(view.name), stamp=sql_ident(stamp), key=sql_ident(view.key_column),
        ).strip()))  # fmt: skip
    for trigger in _sum_triggers(spec, view):
        out.append(
            (trigger["name"], render_template("sqlite/sum_trigger.sql.j2", **trigger).strip())
        )
    return tuple(out)


def _column_sql(
    spec: Spec, view: TableView, col: Column, existing: bool = False, indent: str = INDENT
) -> str:
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
    default = None if existing else default_sql(f)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if f.storage.unique:
        parts.append("UNIQUE")
    body = None if existing else check_condition(spec, f, indent + INDENT)
    if body:  # one condition a line, so the file stays readable and lint-clean
        parts.append(f"CHECK (\n{indent + INDENT}{body}\n{indent})")
    return " ".join(parts)


def check_condition(spec: Spec, f: Field, indent: str = INDENT) -> str | None:
    """The body of the field's CHECK: one condition a line, continuation lines at `indent`."""
    checks = check_expressions(spec, f)
    if not checks:
        return None
    outer = indent[: -len(INDENT)] if indent.endswith(INDENT) else indent
    body = f"\n{indent}AND ".join(_indent(c, outer) for c in checks)
    if column_nullable(f):  # JSON_VALID(NULL) and TYPEOF(NULL) are false, not NULL
        body = f"{sql_ident(f.column)} IS NULL\n{indent}OR {body}"  # AND binds tighter than OR
    return body


def _added_sql(spec: Spec, view: TableView, col: Column) -> str:
    f = col.field
    if f is not None and not column_nullable(f) and f.constraints.default is None:
        raise CodegenError(
            [Diagnostic(f.pos, f"'{view.model.name}.{f.name}' is added to existing table '{view.name}': "
                        "SQLite can only add it with a constant @default or as nullable")]
        )  # fmt: skip
    return (
        f"ALTER TABLE {sql_ident(view.name)} ADD COLUMN {_column_sql(spec, view, col, indent='')};"
    )


def column_nullable(f: Field) -> bool:
    """NULL is stored for a nullable field, and for an optional one with no default (absent)."""
    return f.nullable or (f.optional and not f.constraints.has_default)


def default_sql(f: Field) -> str | None:
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
        # REAL affinity turns '0.5' into 0.5; what stays text ('abc') or a blob must be
        # rejected. SQLite orders every number before every text and blob, so an upper bound
        # already does it; without one, the type is checked (it costs more, row by row)
        if c.maximum is None and c.exclusive_maximum is None:
            checks.append(f"TYPEOF({col}) IN ('integer', 'real')")
        for attr, op in (
            ("minimum", ">="),
            ("maximum", "<="),
            ("exclusive_minimum", ">"),
            ("exclusive_maximum", "<"),
        ):
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
        {**base, "name": f"trg_{view.name}_{target.column}_sum_insert", "event": "INSERT"},
        {
            **base,
            "name": f"trg_{view.name}_{target.column}_sum_update",
            "event": f"UPDATE OF {sql_ident(target.column)}, {sql_ident(rel.column)}",
        },
    ]
