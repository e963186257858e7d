"""SQLite migrations between two specs: the cheapest safe plan, as a plain SQL file.

- new table, index or trigger: CREATE; new nullable or constant-default column: ADD COLUMN;
- a rename tagged `@renamedFrom`: RENAME COLUMN;
- anything SQLite cannot alter in place (a vocabulary, a bound, nullability, a default, a
  UNIQUE or FOREIGN KEY, a removed column) rebuilds the table by the documented procedure
  (https://sqlite.org/lang_altertable.html#otheralter): foreign keys off *outside* the
  transaction (inside one SQLite silently ignores the PRAGMA, and the DROP then cascades into
  the child rows), new table, copy with explicit column lists, drop, rename, indexes and
  triggers again, PRAGMA foreign_key_check, commit, foreign keys back on;
- rows that a tightened constraint would refuse stop the migration before it changes
  anything, listing their keys;
- destructive changes (a removed table or column) are refused unless acknowledged, and a
  remove plus an add of the same type is refused as a probable rename.

The SQL file carries directives for the runner (codegen/migrate.py) as comments, so it stays
plain SQL for a reader: `-- codegen:foreign-keys off` and `-- codegen:expect-no-rows MESSAGE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codegen.errors import Collector
from codegen.relational import Column, ColumnRole, TableView, tables
from codegen.render import render_template, sql_ident, sql_literal
from codegen.spec import Pos, Spec
from codegen.targets.sqlite import TableDDL, check_condition, column_nullable, statements, table_ddl

FOREIGN_KEYS_OFF = "-- codegen:foreign-keys off"
EXPECT_NO_ROWS = "-- codegen:expect-no-rows"
REBUILD_PREFIX = "_codegen_new_"


@dataclass
class Plan:
    """What one migration does: a slug for its name, a line per change, its statements."""

    changes: list[str] = field(default_factory=list)
    prechecks: list[str] = field(default_factory=list)  # all run first: every offending row at once
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)  # (comment, statements)
    foreign_keys_off: bool = False

    @property
    def slug(self) -> str:
        words = re.sub(r"[^a-z0-9]+", "_", "_".join(self.changes[:2]).lower()).strip("_")
        return (words[:48].rstrip("_") or "change") + ("_and_more" if len(self.changes) > 2 else "")

    def sql(self, number: int) -> str:
        return render_template(
            "sqlite/migration.sql.j2",
            number=f"{number:04d}",
            changes=self.changes,
            foreign_keys_off=self.foreign_keys_off,
            blocks=(
                [("rows the new schema would refuse stop the migration here", self.prechecks)]
                if self.prechecks
                else []
            )
            + self.blocks,
            directive_fk=FOREIGN_KEYS_OFF,
        )


def initial(spec: Spec) -> Plan:
    """A first migration for a project with no legacy script: the whole schema."""
    plan = Plan(changes=[f"create {v.name}" for v in tables(spec)])
    plan.blocks.append(("the whole schema", [s.sql for s in statements(spec)]))
    return plan


def plan(old: Spec, new: Spec, source: str, allow_data_loss: bool = False) -> Plan:
    """The migration from `old` to `new`; CodegenError lists every refused change."""
    errors = Collector()
    result = Plan()
    olds = {v.name: v for v in tables(old)}
    news = {v.name: v for v in tables(new)}
    for view in tables(new):  # parents before children
        if view.name not in olds:
            ddl = table_ddl(new, view)
            result.changes.append(f"create table {view.name}")
            stmts = [ddl.create(), *(s for _, s in ddl.alters + ddl.indexes + ddl.triggers)]
            result.blocks.append((f"new table {view.name}", stmts))
    for view in reversed(tables(old)):  # children before parents
        if view.name in news:
            continue
        if not allow_data_loss:
            errors.add(
                Pos(source, 1, 1),
                f"table '{view.name}' (interface {view.model.name}) was removed: that deletes every row "
                "in it. Restore the interface, or acknowledge with `codegen build --allow-data-loss`.",
            )
            continue
        result.changes.append(f"drop table {view.name}")
        result.foreign_keys_off = True
        result.blocks.append(
            (f"removed table {view.name} (acknowledged)", [f"DROP TABLE {sql_ident(view.name)};"])
        )
    for view in tables(new):
        if view.name in olds:
            _alter(old, new, olds[view.name], view, result, errors, allow_data_loss)
    errors.raise_if_any()
    return result


def _alter(
    old: Spec, new: Spec, ov: TableView, nv: TableView, result: Plan, errors: Collector, allow: bool
) -> None:
    o, n = table_ddl(old, ov, full=True), table_ddl(new, nv, full=True)
    ocols, ncols = dict(o.columns), dict(n.columns)
    fields = {c.name: c.field for c in nv.columns if c.field is not None}
    renames = {
        col: f.storage.renamed_from
        for col, f in fields.items()
        if f.storage.renamed_from in ocols and col not in ocols
    }
    added = [c for c in ncols if c not in ocols and c not in renames]
    removed = [c for c in ocols if c not in ncols and c not in renames.values()]
    table = nv.name
    pos = nv.model.pos
    if removed and added and not allow:
        for col in added:
            errors.add(
                fields[col].pos if col in fields else pos,
                f"'{table}.{col}' appeared as '{', '.join(removed)}' disappeared: a rename? Tag the field "
                f"`@renamedFrom {removed[0]}` to keep the data, or acknowledge dropping with --allow-data-loss.",
            )
        return
    if removed and not allow:
        errors.add(
            pos,
            f"removing {', '.join(repr(f'{table}.{c}') for c in removed)} deletes that data from every row "
            f"of '{table}'. Restore the field, or acknowledge with `codegen build --allow-data-loss`.",
        )
        return
    stmts: list[str] = []
    for new_name, old_name in renames.items():
        result.changes.append(f"rename {table}.{old_name} to {new_name}")
        stmts.append(
            f"ALTER TABLE {sql_ident(table)} RENAME COLUMN {sql_ident(old_name)} TO {sql_ident(new_name)};"
        )

    def old_def(col: str) -> str:
        before = renames.get(col, col)
        return ocols[before].replace(sql_ident(before), sql_ident(col))

    changed = [c for c in ncols if c not in added and old_def(c) != ncols[c]]
    columns = {c.name: c for c in nv.columns}
    not_addable = [c for c in added if not _addable(columns[c])]
    required = [c for c in not_addable if _required_without_default(columns[c])]
    for col in required:
        errors.add(
            fields[col].pos if col in fields else pos,
            f"new required column '{table}.{col}' has no default, so existing rows have no value for it: "
            "add `@default ...`, or make the field optional (`?`) or nullable (`| null`).",
        )
    if required:
        return
    rebuild = bool(removed or changed or not_addable or o.constraints != n.constraints)
    if rebuild and nv.is_existing:
        errors.add(
            pos,
            f"changing {', '.join(changed + removed + not_addable) or 'the constraints'} of '{table}' needs a "
            "table rebuild, and codegen does not rebuild an @existingTable (it holds columns the spec does "
            "not describe); migrate it by hand.",
        )
        return
    for col in added:
        result.changes.append(f"add {table}.{col}")
    for col in removed:
        result.changes.append(f"drop {table}.{col} (acknowledged)")
    for col in changed:
        result.changes.append(f"change {table}.{col}")
    if o.constraints != n.constraints:
        result.changes.append(f"change constraints of {table}")
    if rebuild:
        result.foreign_keys_off = True
        result.prechecks += _prechecks(new, nv, n, ocols, renames, changed, o)
        stmts += _rebuild(nv, n, ocols, renames)
    else:
        stmts += [
            f"ALTER TABLE {sql_ident(table)} ADD COLUMN {ncols[c].replace(chr(10) + '    ', chr(10))};"
            for c in added
        ]
        stmts += _replace_named(o.indexes, n.indexes, "INDEX", result, table)
        stmts += _replace_named(o.triggers, n.triggers, "TRIGGER", result, table)
    if stmts:
        result.blocks.append((f"{'rebuild' if rebuild else 'alter'} {table}", stmts))


def _addable(col: Column) -> bool:
    """ADD COLUMN takes a nullable or constant-default column without keys or references."""
    f = col.field
    if col.role is not ColumnRole.FIELD or f is None or f.storage.unique or f.storage.primary_key:
        return False
    if f.constraints.default_now:
        return False  # CURRENT_TIMESTAMP is not a constant: SQLite refuses it in ADD COLUMN
    return column_nullable(f) or f.constraints.default is not None


def _required_without_default(col: Column) -> bool:
    f = col.field
    if col.role is ColumnRole.PARENT_KEY:
        return True
    return f is not None and not column_nullable(f) and not f.constraints.has_default


def _replace_named(
    old: tuple[tuple[str, str], ...],
    new: tuple[tuple[str, str], ...],
    kind: str,
    result: Plan,
    table: str,
) -> list[str]:
    """Drop what went or changed, create what came or changed (indexes, triggers)."""
    o, n = dict(old), dict(new)
    out = []
    for name, sql in o.items():
        if n.get(name) != sql:
            out.append(f"DROP {kind} IF EXISTS {sql_ident(name)};")
    for name, sql in n.items():
        if o.get(name) != sql:
            result.changes.append(f"{'replace' if name in o else 'add'} {kind.lower()} {name}")
            out.append(sql)
    for name in o:
        if name not in n:
            result.changes.append(f"drop {kind.lower()} {name}")
    return out


def _prechecks(
    spec: Spec,
    view: TableView,
    ddl: TableDDL,
    old_columns: dict[str, str],
    renames: dict[str, str],
    changed: list[str],
    old_ddl: TableDDL,
) -> list[str]:
    """Queries for rows the rebuilt table would refuse; each must return nothing."""
    table = sql_ident(view.name)
    key = sql_ident(view.key_column)
    out: list[str] = []
    fields = {c.name: c.field for c in view.columns if c.field is not None}
    for col in changed:
        f = fields.get(col)
        if f is None:
            continue
        body = check_condition(spec, f, indent="    ")
        if body:
            out.append(
                f"{EXPECT_NO_ROWS} rows of {view.name} whose {col} the new CHECK refuses\n"
                f"SELECT {key} FROM {table}\nWHERE NOT (\n    {body}\n);"
            )
        if not column_nullable(f) and "NOT NULL" not in old_columns.get(renames.get(col, col), ""):
            out.append(
                f"{EXPECT_NO_ROWS} rows of {view.name} whose {col} is NULL, now NOT NULL\n"
                f"SELECT {key} FROM {table} WHERE {sql_ident(col)} IS NULL;"
            )
    for constraint in ddl.constraints:
        if constraint.startswith("UNIQUE") and constraint not in old_ddl.constraints:
            cols = constraint[len("UNIQUE ") :]
            out.append(
                f"{EXPECT_NO_ROWS} rows of {view.name} that break the new {constraint}\n"
                f"SELECT MIN({key}) FROM {table} GROUP BY {cols.strip('()')} HAVING COUNT(*) > 1;"
            )
    return out


def _rebuild(
    view: TableView, ddl: TableDDL, old_columns: dict[str, str], renames: dict[str, str]
) -> list[str]:
    table = sql_ident(view.name)
    temp = sql_ident(REBUILD_PREFIX + view.name)
    out: list[str] = []
    copied = [c for c, _ in ddl.columns if c in old_columns or c in renames]
    column_list = ", ".join(sql_ident(c) for c in copied)
    out.append(ddl.create(name=REBUILD_PREFIX + view.name, if_not_exists=False))
    out.append(f"INSERT INTO {temp} ({column_list})\nSELECT {column_list} FROM {table};")
    if view.key_field is None:  # keep AUTOINCREMENT's high-water mark: ids are never reused
        out.append(
            f"UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence WHERE name IN "
            f"({sql_literal(view.name)}, {sql_literal(REBUILD_PREFIX + view.name)}))\n"
            f"WHERE name = {sql_literal(REBUILD_PREFIX + view.name)};"
        )
    out.append(f"DROP TABLE {table};")
    out.append(f"ALTER TABLE {temp} RENAME TO {table};")
    out.extend(sql for _, sql in ddl.indexes + ddl.triggers)
    return out  # removed columns stay behind: the copy names its columns
