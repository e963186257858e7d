"""`migrate_to_quantum.py` and `rollback_quantum.py`: the legacy migration, compiled to SQL.

Inputs: the spec (where streams, states and fragments are stored) and the legacy mapping
(`codegen.legacy`, from spec/legacy-mapping.json). Every conversion rule of the mapping is
compiled here into a SQL expression; templates/migration/steps.sql.j2 arranges them into the
set-based steps (INSERT ... SELECT over json_each) that the generated script runs, in order,
inside one transaction. The scripts embed the steps and the schema statements as data, plus
a checksum of all of it, which the migration history records.

The scripts are migration 1 of the project's history (codegen.history): they are rendered
from that step's snapshot, not from the current spec, so they never change under a database
that already ran them, and they record themselves in the history table as that step.

No legacy mapping (a project without spec/legacy-mapping.json): no files.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any

from codegen import legacy
from codegen.legacy import DIRECTIVES, TITLE, Input, Mapping
from codegen.migrate import HISTORY_DDL, HISTORY_TABLE
from codegen.relational import ColumnRole, TableView, table_view, tables
from codegen.render import Context, render_template, sql_ident, sql_literal
from codegen.spec import Spec
from codegen.targets.sqlite import INDENT, check_condition, default_sql, statements

MIGRATE_FILE = "migrate_to_quantum.py"
ROLLBACK_FILE = "rollback_quantum.py"
LEGACY_FILE = "spec/legacy-mapping.json"  # shown in diagnostics when the build does not say
PAUSE_ENV = "QUANTUM_MIGRATION_PAUSE_AT"  # the kill tests' hook (see the scripts' _pause)
# SQLite's datetime() also reads 'now' and bare Julian day numbers; only dates are ISO 8601.
ISO_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"
DEFERRED = ("CREATE INDEX", "CREATE UNIQUE INDEX", "CREATE TRIGGER")
_MARKER = re.compile(r"^-- (step|count|check): (.+)$", re.MULTILINE)


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    if ctx.legacy is None:
        return {}
    file = ctx.extra.get("legacy_file", LEGACY_FILE)
    first = ctx.extra.get("first_snapshot") or spec
    mapping = legacy.load(ctx.legacy, first, file, ctx.extra.get("legacy_text"))
    step = ctx.extra.get("first_step")
    model = view_model(
        first,
        mapping,
        step.name if step else f"0001_{mapping.name}",
        step.checksum if step else None,
    )
    return {
        MIGRATE_FILE: render_template("migration/migrate_to_quantum.py.j2", **model),
        ROLLBACK_FILE: render_template("migration/rollback_quantum.py.j2", **model),
    }


def view_model(spec: Spec, m: Mapping, step_name: str, step_checksum: str | None) -> dict[str, Any]:
    """Everything the two script templates show: names, SQL as data, and the checksum.

    `step_name`/`step_checksum`: migration 1 of the project's history, which the script
    records in the history table (without a history, the script's own checksum).
    """
    views = _target_views(m, spec)
    names = _names(m, views)
    children = [v.name for v in tables(spec) if v.parent is not None]
    x = _expressions(m, names, children)
    written = {
        "stream": [
            names["ns"]["session"],
            names["ns"]["kind"],
            *names["ns"]["values"],
            *names["ns"]["stamps"],
        ],
        "state": [
            *(names["qs"][k] for k in ("stream", "name", "probability", "history")),
            *names["qs"]["stamps"],
        ],
        "fragment": [names["af"][k] for k in ("stream", "text", "type", "time")],
    }  # the columns each INSERT of steps.sql.j2 writes, in its SELECT's order
    x["written"] = written
    ddl = statements(spec)
    added = [
        s.adds_column[1] for s in ddl if s.adds_column and s.adds_column[0] == views["session"].name
    ]
    # Not re-parsed: a state's evolution is JSON by construction, the session's snapshot_head
    # ('[{"time":' and json_quote() of its time) then the state's snapshot_tail (the rest of
    # json_object('probability', p), and ']'), both written by SQLite's JSON functions (see
    # steps.sql.j2). Re-parsing a value for every state would be the costliest check of all.
    arrays = [names["qs"]["history"]]
    # A state's name and probability are copies of a _qm_state row (the states INSERT writes
    # l.name, l.probability): their CHECKs are verified on every row of that lookup, a few
    # dozen rows instead of one per state; the state's other columns as any table's.
    qs = names["qs"]
    copied = [qs["name"], qs["probability"]]
    lookup = f"(SELECT name AS {copied[0]}, probability AS {copied[1]} FROM _qm_state)"
    others = [
        sql_ident(c.name) for c in views["state"].field_columns if sql_ident(c.name) not in copied
    ]
    x["table_checks"] = [
        *(
            _table_checks(
                spec, views[role], cols, skip=[*arrays, *copied] if role == "state" else ()
            )
            for role, cols in written.items()
        ),
        _table_checks(spec, views["state"], copied, skip=others, rows_from=lookup),
        # the columns ALTER TABLE ... ADD COLUMN gave the legacy sessions. Every row reads the
        # same value there, the DEFAULT of the ALTER that ran: one row shows it. (A column that
        # was already there was not added, and its values were written with CHECKs on.)
        _table_checks(
            spec,
            views["session"],
            [sql_ident(c) for c in added],
            only=added,
            rows_from=f"(SELECT * FROM {sql_ident(views['session'].name)} LIMIT 1)",
        ),
    ]
    sql = render_template("migration/steps.sql.j2", n=names, x=x, m=m)
    steps, counts, checks = _split(sql)
    # Secondary indexes and triggers come after the data (a bulk load's order): building an
    # index once is cheaper than growing it row by row, and the @sum trigger's rule is checked
    # for every stream at once before commit (CHECKS). All of it inside the one transaction.
    schema = [(s.sql, *(s.adds_column or (None, None)), s.sql.startswith(DEFERRED)) for s in ddl]
    bookkeeping = [
        HISTORY_DDL,
        *_statements(render_template("migration/bookkeeping.sql.j2", n=names)),
    ]
    record = [
        f"INSERT INTO {sql_ident(HISTORY_TABLE)} (name, checksum, applied_at)\nVALUES (:step, :step_checksum, :applied_at)",
        f"INSERT INTO {names['details']} (name, checksum, applied_at, backup_path, backup_sha256, report)\n"
        "VALUES (:migration, :checksum, :applied_at, :backup_path, :backup_sha256, :report)",
    ]
    logic = {"name": m.name, "schema": schema, "bookkeeping": bookkeeping, "steps": steps, "counts": counts,
             "checks": checks, "record": record}  # fmt: skip
    checksum = hashlib.sha256(json.dumps(logic, sort_keys=True).encode()).hexdigest()
    session_view = views["session"]
    return {
        "name": m.name,
        "checksum": checksum,
        "default_database": m.default_database,
        "pause_env": PAUSE_ENV,
        "step_name": step_name,
        "step_checksum": step_checksum or checksum,
        "history": HISTORY_TABLE,
        "details": m.details_table,
        "quarantine": m.quarantine_table,
        "legacy_tables": {
            m.sessions_table: tuple(m.sessions.values()),
            m.evidence_table: tuple(m.evidence.values()),
        },
        "target_tables": [v.name for v in tables(spec) if v.name != session_view.name]
        + [m.quarantine_table, m.details_table],
        "created_tables": [views[role].name for role in ("stream", "state", "fragment")],
        "sources": [m.sessions_table, _dimensions_source(m), m.evidence_table],
        "schema": [
            (_py_text(sql), repr(table), repr(column), repr(later))
            for sql, table, column, later in schema
        ],
        "bookkeeping": [_py_text(s) for s in bookkeeping],
        "steps": [(name, _slug(name), [_py_text(s) for s in body]) for name, body in steps],
        "counts": [(source, figure, _py_text(body)) for source, figure, body in counts],
        "checks": [(text, _py_text(body)) for text, body in checks],
        "record": [_py_text(sql) for sql in record],
    }


# -- the spec side ---------------------------------------------------------------------------


def _target_views(m: Mapping, spec: Spec) -> dict[str, TableView]:
    """The four target tables (legacy.load checked that they are linked as the SQL expects)."""
    return {role: table_view(spec, entry["model"]) for role, entry in m.targets.items()}


def _column(m: Mapping, view: TableView, role: str, field_role: str) -> str:
    name = m.targets[role][field_role]
    return sql_ident(next(c.name for c in view.field_columns if c.field and c.field.name == name))


def _names(m: Mapping, views: dict[str, TableView]) -> dict[str, Any]:
    """Every identifier and label the SQL uses, quoted once here."""
    stream, state, fragment = views["stream"], views["state"], views["fragment"]
    assert stream.parent and state.parent and fragment.parent
    fields = {c.field.name: c.name for c in stream.field_columns if c.field}
    return {
        "s": {
            "table": sql_ident(m.sessions_table),
            **{k: sql_ident(v) for k, v in m.sessions.items()},
        },
        "e": {
            "table": sql_ident(m.evidence_table),
            **{k: sql_ident(v) for k, v in m.evidence.items()},
        },
        "ns": {
            "table": sql_ident(stream.name),
            "key": sql_ident(stream.key_column),
            "session": sql_ident(stream.parent.column),
            "kind": _column(m, stream, "stream", "kind"),
            "values": [sql_ident(fields[f.field]) for f in m.formulas],
            "stamps": _stamps(stream),
        },
        "qs": {
            "table": sql_ident(state.name),
            "stream": sql_ident(state.parent.column),
            "name": _column(m, state, "state", "name"),
            "probability": _column(m, state, "state", "probability"),
            "history": _column(m, state, "state", "history"),
            "stamps": _stamps(state),
        },
        "af": {
            "table": sql_ident(fragment.name),
            "stream": sql_ident(fragment.parent.column),
            "text": _column(m, fragment, "fragment", "text"),
            "type": _column(m, fragment, "fragment", "type"),
            "time": _column(m, fragment, "fragment", "time"),
        },
        "details": sql_ident(m.details_table),
        "quarantine": sql_ident(m.quarantine_table),
        "quarantine_index": sql_ident(f"idx_{m.quarantine_table}_source"),
        "label": {
            "sessions": sql_literal(m.sessions_table),
            "dimensions": sql_literal(_dimensions_source(m)),
            "evidence": sql_literal(m.evidence_table),
        },
    }


def _stamps(view: TableView) -> list[str]:
    """The created/updated stamp columns: the migration writes its run time in them."""
    stamps = (ColumnRole.CREATED_AT, ColumnRole.UPDATED_AT)
    return [sql_ident(c.name) for c in view.columns if c.role in stamps]


def _table_checks(
    spec: Spec,
    view: TableView,
    written: list[str],
    only: list[str] | None = None,
    skip: tuple[str, ...] | list[str] = (),
    rows_from: str | None = None,
) -> dict[str, str]:
    """A table's CHECK constraints as two conditions to verify, once the data is in.

    The schema and the bulk inserts run under PRAGMA ignore_check_constraints: per row, SQLite
    spends more on CHECKs than on the insert itself, and ALTER TABLE ... ADD COLUMN with a
    CHECK reads the whole table to test the default on every row. These conditions then find
    any row that breaks one, once for all rows. `rows`: the CHECKs of the columns the
    migration writes (`written`), tested on every row of `rows_from` (default: the table).
    `defaults`:
    those of the columns it leaves to their DEFAULT, which every row holds, so checked once on
    a one-row `source` of the defaults. `only`: the columns to consider (default: all);
    `skip`: written columns whose CHECK holds by construction. Both conditions come from
    check_condition(), which writes the CREATE TABLE's CHECKs.
    """
    rows, defaults, values = [], [], []
    for c in view.field_columns:
        assert c.field is not None
        condition = check_condition(spec, c.field, INDENT * 4)
        if (
            condition is None
            or (only is not None and c.name not in only)
            or sql_ident(c.name) in skip
        ):
            continue
        if sql_ident(c.name) in written:
            rows.append(condition)
        else:
            defaults.append(condition)
            values.append(f"{default_sql(c.field) or 'NULL'} AS {sql_ident(c.name)}")
    return {
        "rows_from": rows_from or sql_ident(view.name),
        "rows": _conjunction(rows),
        "defaults": _conjunction(defaults),
        "source": ", ".join(values),
    }


def _conjunction(conditions: list[str]) -> str:
    """`(a) AND (b)`, one condition a block, inside a WHERE NOT ifnull(..., 1)."""
    return f"\n{INDENT * 3}AND ".join(f"(\n{INDENT * 4}{c}\n{INDENT * 3})" for c in conditions)


def _dimensions_source(m: Mapping) -> str:
    """The report's and quarantine's name for the entries of the dimensions JSON column."""
    return f"{m.sessions_table}.{m.sessions['dimensions']}"


# -- the rules, compiled to SQL --------------------------------------------------------------


def _expressions(m: Mapping, n: dict[str, Any], child_tables: list[str]) -> dict[str, Any]:
    dims = f"s.{n['s']['dimensions']}"
    fallback = {
        "session_created_at": (
            f"(SELECT t.created_at FROM {n['s']['table']} AS s INNER JOIN _qm_session AS t"
            f" ON t.session_rowid = s.rowid WHERE s.{n['s']['id']} = e.{n['e']['session_id']})"
        ),
        "migration_time": "(SELECT now FROM _qm_run)",
    }  # where e is the legacy evidence row (asked only when its own time is not there)
    return {
        "dimension_rows": [
            f"({sql_literal(d.code)}, {sql_literal(d.stream)})" for d in m.dimensions
        ],
        "session_time_present": present(f"s.{n['s']['created_at']}"),
        "session_time_text": time_text(f"s.{n['s']['created_at']}", m),
        "session_time_canonical": canonical_time(f"s.{n['s']['created_at']}", m),
        "evidence_time_present": present(f"e.{n['e']['timestamp']}"),
        "evidence_time_text": time_text(f"e.{n['e']['timestamp']}", m),
        "evidence_time_canonical": canonical_time(f"e.{n['e']['timestamp']}", m),
        "evidence_time_fallback": ", ".join(fallback[f] for f in m.evidence_fallback),
        "dimension_present": present(f"e.{n['e']['dimension']}"),
        "summary_blank": blank(f"e.{n['e']['summary']}"),
        "child_tables": [sql_literal(t) for t in child_tables],
        "dims_present": present(dims),
        # Valid JSON that opens with '{' (after JSON's whitespace) is an object: one parse, where
        # json_valid() and json_type() would parse twice (SQLite caches a parse per call site)
        # (ltrim() only when it does not already open with '{': it copies the text)
        "dims_is_object": f"typeof({dims}) = 'text' AND ({dims} GLOB '{{*' OR ltrim({dims}, ' ' || char(9, 10, 13)) GLOB '{{*') AND json_valid({dims})",
        # a number is JSON too (the column's affinity may have made one of '5')
        "dims_is_json": f"typeof({dims}) IN ('integer', 'real') OR typeof({dims}) = 'text' AND json_valid({dims})",
        "dimensions_source": _dimensions_source(m),
        "session_columns": [(sql_literal(c), sql_ident(c)) for c in m.sessions.values()],
        "evidence_columns": [(sql_literal(c), sql_ident(c)) for c in m.evidence.values()],
        "inputs": [
            {
                "name": i.name,
                "raw": f"json_extract(j.value, {sql_literal(_json_path(i.key))})",
                "type": _boolean_type("j.value", sql_literal(_json_path(i.key))),
                "value": number(f"{i.name}_raw", f"{i.name}_type", i),
            }
            for i in m.inputs.values()
        ],
        "evidence_only": {k: repr(v) for k, v in m.evidence_only.items()},
        "formulas": [rounded(_formula(f), m.decimal_places) for f in m.formulas],
        "state_rows": _state_rows(m),
        "level": _level(m, "q"),
        "fragment_type": _fragment_type(f"e.{n['e']['type']}", m),
    }


def present(col: str) -> str:
    """The column holds something: not NULL, and not a blank string."""
    return f"{col} IS NOT NULL AND NOT (typeof({col}) = 'text' AND {blank(col)})"


def blank(col: str) -> str:
    """trim(col) = '' (empty, or spaces only), without copying the text when it cannot be:
    only a value that starts with a space is trimmed."""
    return f"({col} = '' OR {col} GLOB ' *' AND trim({col}) = '')"


def canonical_time(col: str, m: Mapping) -> str:
    """True when `col` is already a real timestamp in the form the migration writes.

    Then `col` is its own reading: one datetime() call, not the two of reading it in full
    (time_text, then the template's real_time), and most legacy timestamps are in this form.
    Only when ISO 8601 is the first format tried: a pattern before it could read the same
    text otherwise.
    """
    if tuple(m.timestamp_formats[:1]) != ("iso8601",):
        return "0"
    return f"(typeof({col}) = 'text' AND datetime({col}, '+0 seconds') IS {col} AND {col} >= '0001-01-01')"


def time_text(col: str, m: Mapping) -> str:
    """`col` rewritten as ISO 8601 text by the first accepted format it matches, else NULL.

    The template then keeps it only if `datetime()` reads it as a real date (see steps.sql.j2).
    """
    text = f"trim({col})"
    # SQLite's date functions stop reading at a NUL: '2023-01-01 10:00:00\0garbage' is not a time
    branches = [f"WHEN {col} IS NULL OR typeof({col}) = 'blob' OR instr({col}, char(0)) THEN NULL"]
    for fmt in m.timestamp_formats:
        if fmt == "unix_epoch":
            branches.append(f"WHEN typeof({col}) IN ('integer', 'real') THEN {_epoch(col, m)}")
            branches.append(
                f"WHEN {_numeric_text(text)} THEN {_epoch(f'json_extract({text}, {_JSON_ROOT})', m)}"
            )
        elif fmt == "iso8601":
            branches.append(f"WHEN {text} GLOB {sql_literal(ISO_GLOB)} THEN {text}")
        else:
            glob, rebuilt = _pattern(fmt, text)
            branches.append(f"WHEN {text} GLOB {sql_literal(glob)}\n    THEN {rebuilt}")
    return "CASE\n" + "".join(f"    {b}\n" for b in branches) + "END"


_JSON_ROOT = "'$'"


def _epoch(value: str, m: Mapping) -> str:
    limit = repr(m.epoch_milliseconds_above)
    return f"datetime(CASE WHEN abs({value}) > {limit} THEN {value} / 1000.0 ELSE {value} END, 'unixepoch')"


def _pattern(fmt: str, text: str) -> tuple[str, str]:
    """A fixed-width pattern as a GLOB and the ISO text rebuilt from its fields (substr)."""
    glob, parts, at, i = "", {}, 1, 0
    while i < len(fmt):
        if fmt[i] == "%":
            width = DIRECTIVES[fmt[i + 1]]
            parts[fmt[i + 1]] = f"substr({text}, {at}, {width})"
            glob, at, i = glob + "[0-9]" * width, at + width, i + 2
        else:
            glob, at, i = glob + fmt[i], at + 1, i + 1
    zero = "'00'"
    rebuilt = " || ".join(
        [parts["Y"], "'-'", parts["m"], "'-'", parts["d"], "' '",
         parts.get("H", zero), "':'", parts.get("M", zero), "':'", parts.get("S", zero)]
    )  # fmt: skip
    return glob, rebuilt


def _numeric_text(text: str) -> str:
    """A string holding a JSON number: ' 4', '4.5', '-1e2' (json_type errors unless valid)."""
    return f"CASE WHEN json_valid({text}) THEN json_type({text}) END IN ('integer', 'real')"


def _boolean_type(entry: str, path: str) -> str:
    """json_type() of the input, asked only when the session's JSON could hold a boolean.

    json_extract() reads true as 1, so a boolean looks like a number once extracted; the type
    tells them apart at the cost of a second parse of the entry. A session whose dimensions
    text holds neither word (q.may_hold_boolean, computed once a session) has no boolean.
    """
    return f"CASE WHEN q.may_hold_boolean THEN json_type({entry}, {path}) END"


def number(raw: str, json_type: str, i: Input) -> str:
    """An input's value from its extracted SQL value (a number, a numeric string, a word).

    `raw`: json_extract() of the input, NULL when absent or null; `json_type`: its JSON type
    when it could be a boolean (see _boolean_type). NULL when unreadable: a boolean, another
    word, an object or a list (json_extract() gives those as their JSON text).
    """
    text = f"trim({raw})"
    missing = repr(i.missing)
    words = "".join(
        f"\n        WHEN upper({text}) = {sql_literal(w)} THEN {v!r}" for w, v in i.words
    )
    return (
        f"CASE WHEN {json_type} IN ('true', 'false') THEN NULL ELSE\n"
        f"CASE typeof({raw})\n"
        f"    WHEN 'null' THEN {missing}\n"
        f"    WHEN 'integer' THEN {raw}\n"
        f"    WHEN 'real' THEN {raw}\n"
        f"    WHEN 'text' THEN CASE\n"
        f"        WHEN {text} = '' THEN {missing}\n"
        f"        WHEN {_numeric_text(text)} THEN json_extract({text}, {_JSON_ROOT}){words}\n"
        f"    END\n"
        f"END END"
    )


def _json_path(key: str) -> str:
    return '$."' + key + '"'


def _formula(f: legacy.Formula) -> str:
    value = f"{f.input} / {f.divide_by!r}"
    if f.subtract_from_one:
        value = f"1.0 - {value}"
    return f"min(max({value}, 0.0), 1.0)"


def _level(m: Mapping, stream: str) -> str:
    """The rank of the first level whose at_least the stream's state input reaches."""
    branches = [
        f"WHEN {stream}.{m.state_input} >= {level.at_least!r} THEN {rank}"
        for rank, level in enumerate(m.levels)
        if level.at_least is not None
    ]
    return "CASE " + " ".join(branches) + f" ELSE {len(m.levels) - 1} END"


def _state_rows(m: Mapping) -> list[str]:
    """The states a stream gets, per (stream, level): the level's state (part 0), then the
    remainder that makes them sum to 1 (part 1, left out when 1 - p is 0)."""
    rows = []
    for d in m.dimensions:
        for rank, level in enumerate(m.levels):
            remainder = _remainder(level.probability, m.decimal_places)
            parts = [(level.name, level.probability)]
            if remainder > 0:
                parts.append((m.remainder_name, remainder))
            for part, (name, probability) in enumerate(parts):
                named = sql_literal(name.replace(TITLE, d.title))
                rows.append(f"({sql_literal(d.stream)}, {rank}, {part}, {named}, {probability!r})")
    return rows


def rounded(expr: str, places: int) -> str:
    """`expr` rounded to `places` decimals: round() to an integer of scaled units, then back.

    Not round(x, places): SQLite formats and reparses the number for that, which is slower
    (half the cost of inserting a stream) and leaves noise (0.315433138448 comes back as
    0.31543313844800003); the integer of units divided by 10**places is the double nearest to
    the decimal.
    """
    return f"round(({expr}) * 1e{places}) / 1e{places}"


def _remainder(probability: float, places: int) -> float:
    """1 - p rounded as the script rounds in SQL, so both store the same number."""
    with sqlite3.connect(":memory:") as conn:
        sql = f"SELECT {rounded('1.0 - ?', places)}"
        return float(conn.execute(sql, (probability,)).fetchone()[0])


def _fragment_type(col: str, m: Mapping) -> str:
    branches = "".join(
        f" WHEN {sql_literal(legacy_type)} THEN {sql_literal(kind)}"
        for legacy_type, kind in m.fragment_types
    )
    # the type as written first: lower(trim()) copies the text twice
    exact = f"CASE {col}{branches} END"
    return f"coalesce({exact}, CASE lower(trim({col})){branches} ELSE {sql_literal(m.default_fragment_type)} END)"


# -- text helpers ----------------------------------------------------------------------------


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.splitlines())


def _one_line(sql: str) -> str:
    return " ".join(line.strip() for line in sql.splitlines())


def _statements(sql: str) -> list[str]:
    """Split SQL text into statements, the way SQLite itself decides where one ends."""
    out, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip().removesuffix(";"))
            buffer = ""
    assert not buffer.strip(), f"unterminated SQL: {buffer}"
    return out


def _split(
    sql: str,
) -> tuple[list[tuple[str, list[str]]], list[tuple[str, str, str]], list[tuple[str, str]]]:
    """steps.sql.j2 -> (steps, report counts, checks), by its `-- kind: name` markers."""
    steps, counts, checks = [], [], []
    marks = list(_MARKER.finditer(sql))
    for mark, end in zip(marks, [*marks[1:], None], strict=True):
        body = sql[mark.end() : end.start() if end else len(sql)]
        kind, name = mark.group(1), mark.group(2).strip()
        if kind == "step":
            steps.append((name, _statements(body)))
        elif kind == "count":
            source, figure = name.rsplit(" ", 1)
            counts.append((source, figure, *_statements(body)))
        else:
            checks.append((name, *_statements(body)))
    return steps, counts, checks


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _py_text(text: str) -> str:
    """A Python literal for SQL text: triple-quoted so the SQL stays readable, when safe."""
    if '"""' in text or "\\" in text or text.endswith('"'):
        return repr(text)
    return '"""\n' + text + '\n"""'
