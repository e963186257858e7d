"""SQLite and Pydantic accept and reject the same value, one column at a time (hypothesis).

For every column that holds a field of a table model, hypothesis draws values, valid and
invalid (out of range, text in number columns, wrong literals, non-array JSON, NULL, absent),
and the test asserts: SQLite accepts the row (generated DDL, foreign keys on, a parent chain
inserted first) iff the generated Pydantic model accepts the same value for that field. A
value crosses as the database helpers carry it: lists and dicts as JSON text, JSON text read
back with json.loads, NULL as None, an absent key as an omitted column.

Rules intentionally not shared, so not drawn here:
- the aggregate @sum rule: rows arrive one at a time, so SQL can only refuse a stream's rows
  summing *above* total + tolerance (per INSERT/UPDATE trigger); Pydantic checks a whole list,
  which must sum to total +- tolerance when non-empty. A lone 0.7 state: SQL yes, Pydantic no.
  tests/test_pydantic.py covers the list rule, the sqlite tests the trigger.
- what is inside JSON columns: SQL checks the text is a JSON array/object; the items' types
  (strings, ProbabilitySnapshot objects, numbers of a record) are Pydantic's alone.
- JSON `null` text in a nullable JSON column: the helpers store None as SQL NULL, never 'null'.
- Date columns: SQLite's TIMESTAMP has no CHECK; parsing dates is Pydantic's.
- numbers given to text columns: TEXT affinity stores 5 as '5', Pydantic refuses an int for
  a str; the helpers always pass str. Likewise NUL characters (SQLite's LENGTH stops at one),
  NaN (SQLite stores it as NULL) and exotic numeric text ('1_0') are not drawn.
- legacy columns of an existing table (sessions.id, user_id, ...): created as the legacy
  table has them, without CHECKs; only the columns this schema adds are compared.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from codegen.parse_ts import parse_file
from codegen.relational import Column, TableView, tables
from codegen.render import Context, sql_ident
from codegen.spec import Field, Kind, Model, Spec
from codegen.targets import render_target
from codegen.targets.sqlite import statements

ROOT = Path(__file__).resolve().parent.parent
SPEC = parse_file(ROOT / "spec" / "narrative-streams.ts", "spec/narrative-streams.ts")
ABSENT = object()  # the key is left out / the column is not in the INSERT
JSON_KINDS = (Kind.ARRAY, Kind.RECORD, Kind.MODEL)
SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _shared(view: TableView, col: Column) -> bool:
    """Columns whose acceptance both sides decide (see the module docstring for the others)."""
    assert col.field is not None
    legacy = view.is_existing and col.name in view.table.existing_columns
    return col.field.type.kind is not Kind.DATETIME and not legacy


CASES = [
    (v.model.name, c.field.name) for v in tables(SPEC) for c in v.field_columns if _shared(v, c)
]


# -- values ----------------------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=6
)
NOT_JSON_ARRAYS = st.sampled_from(['{"a": 1}', '"text"', "1", "not json", "", "[1,", 1, 0.5])
NOT_JSON_OBJECTS = st.sampled_from(["[]", '["a"]', '"text"', "1", "not json", "", 1])


def _number(f: Field) -> st.SearchStrategy[Any]:
    c = f.constraints
    edges = [
        b for b in (c.minimum, c.maximum, c.exclusive_minimum, c.exclusive_maximum) if b is not None
    ]
    near = [e + d for e in edges for d in (-1e-9, 0.0, 1e-9)]
    floats = st.floats(min_value=-1.5, max_value=2.5, allow_nan=False) | st.sampled_from(
        [*near, 0, 1, -1, 2, float("inf"), float("-inf")]
    )
    # numeric text SQLite's REAL affinity converts, as Pydantic does; and text it cannot
    numeric_text = st.integers(-15, 25).map(lambda n: str(n / 10))
    return floats | numeric_text | st.sampled_from(["abc", "HIGH", "", "0.5abc", "1.0.0"])


def _enum(f: Field) -> st.SearchStrategy[Any]:
    values = SPEC.enum(f.type.name).values
    wrong = [v.lower() for v in values if v.lower() != v] + [
        v.upper() for v in values if v.upper() != v
    ]
    return (
        st.sampled_from(values)
        | st.sampled_from([*wrong, "", " ", f"{values[0]} "])
        | TEXT
        | st.integers(0, 3)
    )


def _string(f: Field) -> st.SearchStrategy[Any]:
    c = f.constraints
    edges = [n for n in (c.min_length, c.max_length) if n is not None]
    at_edges = st.sampled_from([n + d for n in edges for d in (-1, 0, 1) if n + d >= 0] or [0]).map(
        lambda n: "é" * n
    )
    return TEXT | at_edges


def _array(f: Field) -> st.SearchStrategy[Any]:
    item = f.type.item
    assert item is not None
    if item.kind is Kind.STRING:
        items = st.lists(TEXT, max_size=3)
    elif item.kind is Kind.ENUM:
        items = st.lists(st.sampled_from(SPEC.enum(item.name).values), max_size=3)
    else:  # objects: their validity is Pydantic's (module docstring); the empty array is shared
        items = st.just([])
    as_text = items.map(json.dumps)  # JSON text, as a helper might pass it through
    return items | as_text | NOT_JSON_ARRAYS


def _record(f: Field) -> st.SearchStrategy[Any]:
    item = f.type.item
    assert item is not None
    values = st.floats(0, 1) if item.kind is Kind.NUMBER else TEXT
    records = st.dictionaries(st.text(max_size=3), values, max_size=3)
    return records | records.map(json.dumps) | NOT_JSON_OBJECTS


def _model(f: Field) -> st.SearchStrategy[Any]:
    assert f.type.name is not None
    return st.just(_minimal(SPEC.model(f.type.name))) | NOT_JSON_OBJECTS


def _boolean(f: Field) -> st.SearchStrategy[Any]:
    return st.sampled_from([True, False, 0, 1, 2, -1, "x"])


STRATEGIES = {
    Kind.NUMBER: _number,
    Kind.ENUM: _enum,
    Kind.STRING: _string,
    Kind.ARRAY: _array,
    Kind.RECORD: _record,
    Kind.MODEL: _model,
    Kind.BOOLEAN: _boolean,
}


def values_for(f: Field) -> st.SearchStrategy[Any]:
    return STRATEGIES[f.type.kind](f) | st.sampled_from([None, ABSENT])


def _minimal(model: Model) -> dict[str, Any]:
    """A valid value for every required field (TypeScript names); optional ones left out."""
    return {f.name: _valid(f) for f in model.fields if not f.optional}


def _valid(f: Field) -> Any:
    c, kind = f.constraints, f.type.kind
    if kind is Kind.NUMBER:
        lo = next((b for b in (c.minimum, c.exclusive_minimum) if b is not None), None)
        hi = next((b for b in (c.maximum, c.exclusive_maximum) if b is not None), None)
        if lo is not None and hi is not None:
            return (lo + hi) / 2
        return lo + 1 if lo is not None else hi - 1 if hi is not None else 0.5
    made = {
        Kind.STRING: lambda: "x" * max(1, c.min_length or 0),
        Kind.ENUM: lambda: SPEC.enum(f.type.name).values[0],
        Kind.BOOLEAN: lambda: False,
        Kind.DATETIME: lambda: "2024-01-01 10:00:00",
        Kind.ARRAY: lambda: ["x"] * (c.min_items or 0),
        Kind.RECORD: lambda: {},
        Kind.MODEL: lambda: _minimal(SPEC.model(f.type.name)),
    }
    return made[kind]()


# -- the two sides ---------------------------------------------------------------------------


def _to_sql(value: Any, f: Field) -> Any:
    if f.type.kind in JSON_KINDS and isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _to_python(value: Any, f: Field) -> Any:
    if f.type.kind in JSON_KINDS and isinstance(value, str):
        try:
            return json.loads(value)  # as load_session reads the column
        except json.JSONDecodeError:
            return value
    return value


def _row(view: TableView, data: dict[str, Any]) -> dict[str, Any]:
    """A model's field values (TypeScript names) as the table's column values."""
    fields = {c.field.name: c for c in view.field_columns}
    return {
        fields[name].name: _to_sql(value, fields[name].field)
        for name, value in data.items()
        if name in fields
    }


def _insert(conn: sqlite3.Connection, view: TableView, row: dict[str, Any]) -> Any:
    """Insert `row` below a fresh parent chain; return the row's key."""
    if view.parent is not None:
        parent = view.parent_table
        assert parent is not None
        row = {
            view.parent.column: _insert(conn, parent, _row(parent, _minimal(parent.model))),
            **row,
        }
    names = ", ".join(sql_ident(c) for c in row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(
        f"INSERT INTO {sql_ident(view.name)} ({names}) VALUES ({marks})", list(row.values())
    )
    return row[view.key_column] if view.key_field else cursor.lastrowid


def sql_accepts(conn: sqlite3.Connection, view: TableView, f: Field, value: Any) -> bool:
    data = _minimal(view.model)
    data.pop(f.name, None)
    row = _row(view, data)
    if value is not ABSENT:
        row[f.column] = _to_sql(value, f)
    conn.execute("SAVEPOINT example")
    try:
        _insert(conn, view, row)
        return True
    except sqlite3.IntegrityError:
        return False
    finally:
        conn.execute("ROLLBACK TO example")
        conn.execute("RELEASE example")


def pydantic_accepts(schemas: ModuleType, view: TableView, f: Field, value: Any) -> bool:
    data = _minimal(view.model)
    data.pop(f.name, None)
    if value is not ABSENT:
        data[f.name] = _to_python(value, f)
    try:
        getattr(schemas, view.model.name).model_validate(data)
        return True
    except ValidationError:
        return False


# -- fixtures and the property ---------------------------------------------------------------


def _import_schemas(spec: Spec, folder: Path, name: str) -> ModuleType:
    path = folder / f"{name}.py"
    path.write_text(
        render_target("pydantic", spec, Context(source="input.ts"))["schemas.py"], encoding="utf-8"
    )
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # Pydantic resolves forward references through sys.modules
    module_spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _import_schemas(SPEC, tmp_path_factory.mktemp("agree"), "schemas_sql_agree")


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for statement in statements(SPEC):
        conn.execute(statement.sql)
    yield conn
    conn.close()


def test_every_constrained_kind_is_compared() -> None:
    kinds = {f.type.kind for m, n in CASES for f in SPEC.model(m).fields if f.name == n}
    assert {Kind.NUMBER, Kind.ENUM, Kind.STRING, Kind.ARRAY, Kind.RECORD} <= kinds
    assert ("QuantumState", "probability") in CASES and ("QuantumStorySession", "phase") in CASES


def test_the_minimal_rows_are_accepted_by_both(db: sqlite3.Connection, schemas: ModuleType) -> None:
    for view in tables(SPEC):
        f = view.model.fields[0]
        value = _minimal(view.model).get(f.name, ABSENT)
        assert sql_accepts(db, view, f, value) and pydantic_accepts(schemas, view, f, value), (
            view.name
        )


@pytest.mark.parametrize(("model", "field"), CASES, ids=[f"{m}.{f}" for m, f in CASES])
@SETTINGS
@given(data=st.data())
def test_sqlite_and_pydantic_agree(
    db: sqlite3.Connection, schemas: ModuleType, model: str, field: str, data: st.DataObject
) -> None:
    view = next(v for v in tables(SPEC) if v.model.name == model)
    f = next(f for f in view.model.fields if f.name == field)
    value = data.draw(values_for(f), label=field)
    in_sql, in_python = sql_accepts(db, view, f, value), pydantic_accepts(schemas, view, f, value)
    verdict = {True: "accepts", False: "rejects"}
    shown = "<absent>" if value is ABSENT else repr(value)
    assert in_sql == in_python, (
        f"{model}.{field} = {shown}: SQLite {verdict[in_sql]}, Pydantic {verdict[in_python]}"
    )
