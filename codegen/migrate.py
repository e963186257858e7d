"""Applying and inspecting migrations on a live SQLite database.

`migrate` applies pending steps in order, each in its own transaction, recording each in the
history table; `status` lists applied and pending steps; `diff` compares the live schema
(SQLite's own introspection) with the schema the spec describes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codegen.history import Step
from codegen.spec import Spec
from codegen.targets.sqlite import statements
from codegen.targets.sqlite_migrations import EXPECT_NO_ROWS, FOREIGN_KEYS_OFF

HISTORY_TABLE = "codegen_migrations"
HISTORY_DDL = (
    f'CREATE TABLE IF NOT EXISTS "{HISTORY_TABLE}" (\n'
    '    "name" TEXT PRIMARY KEY,\n'
    '    "checksum" TEXT NOT NULL,\n'
    "    \"applied_at\" TEXT NOT NULL DEFAULT (STRFTIME('%Y-%m-%dT%H:%M:%fZ', 'now'))\n"
    ")"
)


class Refused(Exception):
    """The database was left unchanged, for the reason given (exit 1)."""


@dataclass(frozen=True)
class State:
    step: Step
    state: str  # applied | pending | changed (applied with another checksum)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (the runner says BEGIN and COMMIT itself)."""
    if not path.exists():
        raise Refused(
            f"{path}: no such database (to start a new one: create an empty file, then migrate)"
        )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # is it a database at all?
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise Refused(f"{path}: {exc}") from None
    return conn


def applied(conn: sqlite3.Connection) -> dict[str, str]:
    """name -> checksum of every recorded step (none when the table does not exist yet)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (HISTORY_TABLE,)
    ).fetchone()
    if not exists:
        return {}
    return dict(conn.execute(f'SELECT "name", "checksum" FROM "{HISTORY_TABLE}" ORDER BY "name"'))


def status(conn: sqlite3.Connection, steps: list[Step]) -> list[State]:
    done = applied(conn)
    return [
        State(
            s,
            "pending"
            if s.name not in done
            else "applied"
            if done[s.name] == s.checksum
            else "changed",
        )
        for s in steps
    ]


def check_history(conn: sqlite3.Connection, steps: list[Step]) -> list[Step]:
    """The pending steps; Refused when the database's history disagrees with the folder's."""
    done = applied(conn)
    known = {s.name: s for s in steps}
    for name, checksum in done.items():
        if name not in known:
            raise Refused(
                f"the database records migration {name}, which is not in this project's history"
            )
        if known[name].checksum != checksum:
            raise Refused(
                f"migration {name} was applied with checksum {checksum[:12]}, but the file now has "
                f"{known[name].checksum[:12]}: the migration was edited after it ran"
            )
    pending = [s for s in steps if s.name not in done]
    if pending and done and max(done) > pending[0].name:
        raise Refused(f"migration {pending[0].name} is pending but a later one was applied")
    return pending


def migrate(
    path: Path, steps: list[Step], run_legacy: Callable[[Path, Step], None] | None = None
) -> list[str]:
    """Apply every pending step; returns their names. Refused leaves the database unchanged."""
    conn = connect(path)
    try:
        pending = check_history(conn, steps)
        done = []
        for step in pending:
            if step.sql is None:
                conn = _first_step(conn, path, step, run_legacy)
            else:
                run_sql(conn, step.sql, step)
            done.append(step.name)
        return done
    finally:
        conn.close()


def _first_step(
    conn: sqlite3.Connection, path: Path, step: Step, run_legacy: Callable | None
) -> sqlite3.Connection:
    """The legacy migration: its own script on a legacy database; on an empty one, the schema.
    Returns the connection to go on with (the script needs the database to itself)."""
    user_tables = conn.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()[0]
    if user_tables and run_legacy is not None:
        conn.close()
        run_legacy(path, step)
        return connect(path)
    sql = ";\n".join(s.sql.rstrip(";") for s in statements(step.snapshot)) + ";"
    run_sql(conn, sql, step)
    return conn


def split(sql: str) -> list[str]:
    """Statements with their leading comments (directives ride along with their statement)."""
    out, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return out


def run_sql(conn: sqlite3.Connection, sql: str, step: Step) -> None:
    """One step in one transaction; foreign keys off around it when the step asks."""
    fk_off = FOREIGN_KEYS_OFF in sql
    if fk_off:  # must be outside the transaction: inside one, SQLite ignores it
        conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(HISTORY_DDL)
        refusals: list[str] = []
        for statement in split(sql):
            if EXPECT_NO_ROWS in statement:
                rows = [r[0] for r in conn.execute(statement).fetchall()]
                if rows:
                    message = statement.split(EXPECT_NO_ROWS, 1)[1].splitlines()[0].strip()
                    shown = ", ".join(map(str, rows[:20])) + (
                        f" and {len(rows) - 20} more" if len(rows) > 20 else ""
                    )
                    refusals.append(f"{len(rows)} {message}: {shown}")
                continue
            if refusals:  # every check has run: report them all, change nothing
                break
            conn.execute(statement)
        if refusals:
            raise Refused(f"{step.name}: " + "; ".join(refusals) + "; nothing was changed")
        if fk_off:
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                shown = ", ".join(f"{t} rowid {r} (no row in {p})" for t, r, p, _ in broken[:10])
                raise Refused(
                    f"{step.name}: {len(broken)} rows reference a missing parent: {shown}; nothing was changed"
                )
        conn.execute(
            f'INSERT INTO "{HISTORY_TABLE}" ("name", "checksum") VALUES (?, ?)',
            (step.name, step.checksum),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        if fk_off:
            conn.execute("PRAGMA foreign_keys = ON")


# -- introspection: the live schema against the spec's -------------------------------------


def describe(
    conn: sqlite3.Connection, ignore_columns: dict[str, set[str]] | None = None
) -> dict[str, dict]:
    """Every user table: its columns (with their full definitions), keys, indexes, triggers."""
    ignore_columns = ignore_columns or {}
    out: dict[str, dict] = {}
    for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ):
        skip = ignore_columns.get(name, set())
        columns = {
            r[1]: {"type": r[2], "notnull": r[3], "default": r[4], "pk": r[5]}
            for r in conn.execute(f"PRAGMA table_xinfo({_q(name)})")
            if r[1] not in skip
        }
        definitions = {k: v for k, v in _definitions(sql).items() if k not in skip}
        for col, text in definitions.items():
            if col in columns:
                columns[col]["definition"] = text
        indexes = {}
        for _, index, unique, origin, _partial in conn.execute(f"PRAGMA index_list({_q(name)})"):
            cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({_q(index)})"))
            indexes[index if origin == "c" else f"({origin}) {', '.join(cols)}"] = {
                "unique": unique,
                "columns": cols,
            }
        out[name] = {
            "columns": columns,
            "constraints": sorted(v for k, v in _definitions(sql, constraints=True).items()),
            "foreign_keys": sorted(
                (r[2], r[3], r[4], r[6])
                for r in conn.execute(f"PRAGMA foreign_key_list({_q(name)})")
            ),
            "indexes": indexes,
            "triggers": {
                t: _normalize(s)
                for t, s in conn.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                    (name,),
                )
            },
        }
    return out


def expected_schema(spec: Spec) -> dict[str, dict]:
    conn = sqlite3.connect(":memory:")
    for s in statements(spec):
        conn.execute(s.sql)
    return describe(conn)


def differences(
    live: dict[str, dict], expected: dict[str, dict], ignore_tables: set[str]
) -> list[str]:
    """One line per difference, `table.column: what` style."""
    out: list[str] = []
    for table in sorted(set(live) | set(expected)):
        if table in ignore_tables or table.startswith("codegen_"):
            continue
        if table not in live:
            out.append(f"{table}: table missing from the database")
            continue
        if table not in expected:
            out.append(f"{table}: table not described by the spec")
            continue
        lv, ev = live[table], expected[table]
        for col in sorted(set(lv["columns"]) | set(ev["columns"])):
            if col not in ev["columns"]:
                out.append(f"{table}.{col}: column in the database but not in the spec")
            elif col not in lv["columns"]:
                out.append(f"{table}.{col}: column in the spec but missing from the database")
            elif lv["columns"][col] != ev["columns"][col]:
                out.append(
                    f"{table}.{col}: database has {_show(lv['columns'][col])}, spec says {_show(ev['columns'][col])}"
                )
        for key in ("constraints", "foreign_keys", "indexes", "triggers"):
            if lv[key] != ev[key]:
                out.append(f"{table}: {key} differ: database {lv[key]!r}, spec {ev[key]!r}")
    return out


def _show(column: dict) -> str:
    return (
        column.get("definition")
        or f"{column['type']} notnull={column['notnull']} default={column['default']}"
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _normalize(sql: str) -> str:
    """Whitespace-insensitive SQL text, for comparing definitions written in different layouts."""
    sql = re.sub(r"\s+", " ", sql.strip())
    sql = re.sub(r"\(\s+", "(", sql)
    sql = re.sub(r"\s+\)", ")", sql)
    return sql.replace(" IF NOT EXISTS", "")


def _definitions(create_sql: str, constraints: bool = False) -> dict[str, str]:
    """Column definitions (or table constraints) of a CREATE TABLE, split at top-level commas.

    ALTER TABLE ADD COLUMN appends its definition to the stored SQL, so added and created
    columns come out the same."""
    body = create_sql[create_sql.index("(") + 1 : create_sql.rindex(")")]
    parts, depth, quote, current = [], 0, "", ""
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    out: dict[str, str] = {}
    for part in parts:
        text = _normalize(re.sub(r"--[^\n]*", "", part))
        if not text:
            continue
        first, _, rest = text.partition(" ")
        is_constraint = first.upper() in {"UNIQUE", "FOREIGN", "CHECK", "PRIMARY", "CONSTRAINT"}
        if is_constraint == constraints:
            name = first.strip('"`[]')  # legacy DDL leaves names bare; ours quotes them
            out[text if constraints else name] = text if constraints else f"{name} {rest}".strip()
    return out
