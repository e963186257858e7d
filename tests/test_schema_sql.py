"""The generated SQLite schema, loaded for real: against the phase document's DDL, its own
guards (vocabularies, bounds, JSON arrays, probability sums on INSERT and UPDATE,
updated_at), the document's Test 2, and sqlfluff."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "generated" / "schema_quantum.sql"
DATA = Path(__file__).parent / "data"
NEW_TABLES = (
    "narrative_streams",
    "antenarrative_fragments",
    "quantum_states",
    "temporal_layers",
    "grand_narratives",
    "yama_resonances",
)


def _db(*scripts: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    for script in scripts:
        conn.executescript(script.read_text(encoding="utf-8"))
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@pytest.fixture
def ours() -> sqlite3.Connection:
    """A legacy database with the generated script run on it once, as plain SQL."""
    return _db(DATA / "legacy_schema.sql", SCHEMA)


@pytest.fixture
def document() -> sqlite3.Connection:
    return _db(DATA / "phase_document.sql")


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple]:
    rows = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return {name: (ctype, notnull, default, pk) for _, name, ctype, notnull, default, pk in rows}


def _foreign_keys(conn: sqlite3.Connection, table: str) -> set[tuple]:
    rows = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
    return {(r[2], r[3], r[4], r[6]) for r in rows}  # parent table, from, to, on_delete


def _indexes(conn: sqlite3.Connection, table: str) -> set[tuple]:
    out = set()
    for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
        cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})"))
        out.add((name, unique, origin, partial, cols))
    return out


@pytest.mark.parametrize("table", (*NEW_TABLES, "sessions"))
def test_every_document_column_is_there_with_its_type_default_and_key(
    ours, document, table
) -> None:
    theirs, mine = _columns(document, table), _columns(ours, table)
    assert list(theirs) == list(mine)[: len(theirs)] or set(theirs) <= set(mine)
    for name, (ctype, notnull, default, pk) in theirs.items():
        my_type, my_notnull, my_default, my_pk = mine[name]
        assert my_type == ctype, f"{table}.{name} type"
        assert my_pk == pk, f"{table}.{name} primary key"
        if default is not None:
            assert my_default == default, f"{table}.{name} default"
        if notnull:
            assert my_notnull, f"{table}.{name} must stay NOT NULL"
        if my_notnull and not notnull and not pk:
            # tightened to NOT NULL only where a default keeps the document's INSERTs working
            assert my_default is not None, f"{table}.{name} became NOT NULL without a default"


@pytest.mark.parametrize("table", NEW_TABLES)
def test_foreign_keys_and_indexes_match_the_document(ours, document, table) -> None:
    assert _foreign_keys(ours, table) == _foreign_keys(document, table)
    assert _indexes(ours, table) == _indexes(document, table)


def test_legacy_tables_and_rows_survive_the_script() -> None:
    conn = _db(DATA / "legacy_schema.sql")
    conn.execute(
        "INSERT INTO sessions (id, user_id, dimensions) VALUES ('s1', 'u1', '{\"HL\": {}}')"
    )
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    row = conn.execute(
        "SELECT id, user_id, dimensions, phase, overall_coherence, yama_balance FROM sessions"
    ).fetchone()
    assert row == ("s1", "u1", '{"HL": {}}', "INVOCATION", 0.0, "{}")
    assert _columns(conn, "evidence_log")  # untouched legacy table


def test_the_script_runs_on_an_empty_database() -> None:
    conn = _db(SCHEMA)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(NEW_TABLES) | {"sessions"} <= tables


def _stream(conn: sqlite3.Connection, session: str = "test-session") -> int:
    conn.execute("INSERT INTO sessions (id, user_id) VALUES (?, 'user-1')", (session,))
    return conn.execute(
        "INSERT INTO narrative_streams (session_id, stream_id, coherence, fluidity, authenticity)"
        " VALUES (?, 'BODY_KNOWLEDGE', 0.7, 0.5, 0.8)",
        (session,),
    ).lastrowid


def test_document_test_2_behaves_as_written(ours) -> None:
    stream = _stream(ours)
    assert stream == 1
    ours.execute(
        "INSERT INTO quantum_states (stream_id, state, probability)"
        " VALUES (1, 'Empowered Tracker', 0.6), (1, 'Anxious Monitor', 0.4)"
    )
    assert ours.execute(
        "SELECT SUM(probability) FROM quantum_states WHERE stream_id = 1"
    ).fetchone() == (1.0,)


def test_probability_sum_is_guarded_on_insert_and_update(ours) -> None:
    stream = _stream(ours)
    ours.execute(
        "INSERT INTO quantum_states (stream_id, state, probability) VALUES (?, 'A', 0.6), (?, 'B', 0.4)",
        (stream, stream),
    )
    with pytest.raises(sqlite3.IntegrityError, match=r"sums past 1\.0"):
        ours.execute(
            "INSERT INTO quantum_states (stream_id, state, probability) VALUES (?, 'C', 0.2)",
            (stream,),
        )
    with pytest.raises(sqlite3.IntegrityError, match=r"sums past 1\.0"):
        ours.execute("UPDATE quantum_states SET probability = 0.7 WHERE state = 'B'")
    # moving a state to another stream is checked against the stream it joins
    other = ours.execute(
        "INSERT INTO narrative_streams (session_id, stream_id) VALUES ('test-session', 'DATA_SYNTHESIS')"
    ).lastrowid
    ours.execute(
        "INSERT INTO quantum_states (stream_id, state, probability) VALUES (?, 'D', 0.9)", (other,)
    )
    with pytest.raises(sqlite3.IntegrityError, match=r"sums past 1\.0"):
        ours.execute("UPDATE quantum_states SET stream_id = ? WHERE state = 'A'", (other,))
    assert ours.execute(
        "SELECT SUM(probability) FROM quantum_states WHERE stream_id = ?", (stream,)
    ).fetchone() == (1.0,)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        (
            "INSERT INTO narrative_streams (session_id, stream_id) VALUES ('test-session', 'NOT_A_STREAM')",
            "vocabulary",
        ),
        ("UPDATE narrative_streams SET coherence = 1.5", "bound"),
        ("UPDATE narrative_streams SET coherence = 'high'", "number column rejects text"),
        (
            "INSERT INTO antenarrative_fragments (stream_id, text, type, tensions) VALUES (1, 'x', 'memory', '{}')",
            "JSON array",
        ),
        (
            "INSERT INTO antenarrative_fragments (stream_id, text, type, tensions) VALUES (1, 'x', 'memory', 'nope')",
            "JSON",
        ),
        (
            "INSERT INTO antenarrative_fragments (stream_id, text, type) VALUES (1, 'x', 'dream')",
            "fragment type",
        ),
        (
            "INSERT INTO antenarrative_fragments (stream_id, text, type, energy_level) VALUES (1, 'x', 'fear', 'HIGH')",
            "energy",
        ),
        (
            "INSERT INTO grand_narratives (stream_id, discourse, user_stance) VALUES (1, 'd', 'ignoring')",
            "stance",
        ),
        (
            "INSERT INTO temporal_layers (stream_id) VALUES (1), (1)",
            "one temporal layer per stream",
        ),
        ("UPDATE sessions SET phase = 'DONE'", "phase on the ALTERed table"),
        ("UPDATE sessions SET yama_balance = '[]'", "yama balance must be an object"),
        (
            "INSERT INTO narrative_streams (session_id, stream_id) VALUES ('no-such-session', 'DATA_SYNTHESIS')",
            "FK",
        ),
    ],
)
def test_constraints_refuse_bad_rows(ours, sql, why) -> None:
    _stream(ours)
    with pytest.raises(sqlite3.IntegrityError):
        ours.execute(sql)


def test_cascade_deletes_the_whole_session(ours) -> None:
    stream = _stream(ours)
    fragment = ours.execute(
        "INSERT INTO antenarrative_fragments (stream_id, text, type) VALUES (?, 'I walk daily', 'memory')",
        (stream,),
    ).lastrowid
    ours.execute(
        "INSERT INTO yama_resonances (fragment_id, principle, resonance) VALUES (?, 'Satya', 'alignment')",
        (fragment,),
    )
    ours.execute(
        "INSERT INTO quantum_states (stream_id, state, probability) VALUES (?, 'A', 1.0)", (stream,)
    )
    ours.execute("DELETE FROM sessions WHERE id = 'test-session'")
    for table in NEW_TABLES:
        assert ours.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def test_updated_at_changes_on_update(ours) -> None:
    stream = _stream(ours)
    ours.execute(
        "UPDATE narrative_streams SET updated_at = '2000-01-01 00:00:00' WHERE id = ?", (stream,)
    )
    assert ours.execute("SELECT updated_at FROM narrative_streams").fetchone() == (
        "2000-01-01 00:00:00",
    )
    ours.execute("UPDATE narrative_streams SET coherence = 0.9 WHERE id = ?", (stream,))
    (stamp,) = ours.execute("SELECT updated_at FROM narrative_streams").fetchone()
    assert stamp > "2020"


def test_generated_sql_passes_sqlfluff() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "generated/schema_quantum.sql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_spec_source_passes_tsc_strict() -> None:
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        reason = (
            "node/npm not installed"
            if shutil.which("npm") is None
            else "run `npm ci` to install typescript"
        )
        pytest.skip(f"tsc unavailable: {reason}")
    proc = subprocess.run(
        [str(tsc), "--noEmit", "--strict", "spec/narrative-streams.ts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
