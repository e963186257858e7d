"""The generated database.py, run for real: rendered from a spec into a temporary package,
imported, and driven against SQLite files.

Cases: connection settings; apply_schema twice and on a legacy database; the phase
document's Test 2 through SQL; cascades; the updated_at trigger; each helper's happy path and
a refused input that leaves the file unchanged; the save/load round trip; a query count that
does not grow with the rows; and the golden cases' schemas, so nothing is specific to this one.
"""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from codegen.parse_ts import parse_file
from codegen.render import Context
from codegen.targets import render_all

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "spec/narrative-streams.ts"
LEGACY_DDL = (ROOT / "tests" / "data" / "legacy_schema.sql").read_text(encoding="utf-8")
TABLES = (
    "narrative_streams",
    "antenarrative_fragments",
    "quantum_states",
    "temporal_layers",
    "grand_narratives",
    "yama_resonances",
)


def _generate(tmp: Path, source: Path, package: str) -> ModuleType:
    """Render every output of `source` into tmp/<package>/ and import its database module."""
    spec = parse_file(source, source.name)
    folder = tmp / package
    folder.mkdir()
    for rel, text in render_all(spec, Context(source=source.name)).items():
        (folder / rel).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp))
    try:
        return importlib.import_module(f"{package}.database")
    finally:
        sys.path.remove(str(tmp))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _generate(tmp_path_factory.mktemp("generated"), ROOT / SOURCE, "gen_narrative_streams")


@pytest.fixture
def conn(db: ModuleType, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = db.connect(tmp_path / "test.db")
    db.apply_schema(c)
    yield c
    c.close()


@pytest.fixture
def seeded(db: ModuleType, conn: sqlite3.Connection) -> dict[str, Any]:
    """A session with one stream holding one fragment: the parents the helpers write under."""
    conn.execute("INSERT INTO sessions (id, user_id) VALUES ('s1', 'u1')")
    stream = db.create_narrative_stream(conn, "s1", "BODY_KNOWLEDGE")
    fragment = db.add_antenarrative_fragment(conn, stream, {"text": "I ran", "type": "memory"})
    return {"session": "s1", "stream": stream, "fragment": fragment}


def dump(conn: sqlite3.Connection) -> list[str]:
    return list(conn.iterdump())


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def full_session(db: ModuleType, session_id: str = "s-1") -> Any:
    """Every table populated; unicode, quotes, emoji, None and nested datetimes included."""
    schemas = sys.modules[db.__name__.rsplit(".", 1)[0] + ".schemas"]
    at = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    return schemas.QuantumStorySession.model_validate(
        {
            "session_id": session_id,
            "user_id": "user 'quoted' \"double\"",
            "phase": "ENTANGLEMENT",
            "overall_coherence": 0.25,
            "narrative_complexity": 1,
            "story_vitality": 0.0,
            "yama_balance": {"Ahimsa": 0.8, "Satya": 0.9, "ñandú 🦤": 0.1},
            "transcript": "Line one\nline two; DROP TABLE sessions; -- 'x' \\ 😀",
            "created_at": at,
            "streams": [
                {
                    "stream_id": "BODY_KNOWLEDGE",
                    "coherence": 0.7,
                    "fluidity": 0.5,
                    "authenticity": 0.8,
                    "fragments": [
                        {
                            "text": "Mi cuerpo sabe «antes» que yo 💪",
                            "type": "memory",
                            "tensions": ["control vs. trust", 'say "no"'],
                            "possible_endings": ["🏃 marathon"],
                            "entangled_with": ["2"],
                            "superposition_states": ["both", "neither"],
                            "emotional_tone": None,
                            "energy_level": "high",
                            "timestamp": at,
                            "yama_resonances": [
                                {
                                    "principle": "Satya",
                                    "resonance": "tension",
                                    "insight": "l'honnêteté",
                                },
                                {"principle": "Ahimsa", "resonance": "alignment", "insight": None},
                            ],
                        },
                        {"text": "second", "type": "bet", "energy_level": None, "timestamp": at},
                    ],
                    "possible_states": [
                        {
                            "state": "Empowered Tracker",
                            "probability": 0.6,
                            "evidence_threads": ["I log everything"],
                            "conflicts_with": ["Anxious Monitor"],
                            "reinforces": None,
                            "evolution": [
                                {"time": at, "probability": 0.5},
                                {"time": None, "probability": 0.6},
                            ],
                        },
                        {"state": "Anxious Monitor", "probability": 0.4, "conflicts_with": None},
                    ],
                    "temporal_layers": {
                        "past_story": "as a child…",
                        "present_moment": "",
                        "future_projection": "🌅",
                    },
                    "grand_narratives": [
                        {
                            "discourse": "Quantified self",
                            "user_stance": "negotiating",
                            "influence": 0.3,
                        },
                        {
                            "discourse": "Medical authority",
                            "user_stance": "resisting",
                            "evidence_quotes": ["«non»"],
                        },
                    ],
                },
                {"stream_id": "DATA_SYNTHESIS"},  # every child list empty, no temporal layers
                {
                    "stream_id": "FUTURE_HEALTH_IMAGINARY",
                    "temporal_layers": {"future_projection": "x"},
                },
            ],
        }
    )


# -- connect and apply_schema ---------------------------------------------------------------------


def test_connect_sets_what_the_helpers_rely_on(db: ModuleType, tmp_path: Path) -> None:
    c = db.connect(tmp_path / "x.db")
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert c.isolation_level is None and not c.in_transaction
    c.close()
    memory = db.connect(":memory:", wal=False)
    assert memory.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_apply_schema_twice_changes_nothing_the_second_time(db: ModuleType, tmp_path: Path) -> None:
    c = db.connect(tmp_path / "x.db")
    db.apply_schema(c)
    first = dump(c)
    db.apply_schema(c)
    assert dump(c) == first
    names = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", *TABLES} <= names


def test_apply_schema_on_a_legacy_database_keeps_rows_and_legacy_columns(
    db: ModuleType, tmp_path: Path
) -> None:
    legacy = sqlite3.connect(tmp_path / "legacy.db")
    legacy.executescript(LEGACY_DDL)
    legacy.execute(
        "INSERT INTO sessions VALUES ('old-session', 'user-1', '2023-01-02 03:04:05', 'hi', ?)",
        ('{"HL": {"score": 4, "confidence": "HIGH"}}',),
    )
    legacy.execute("INSERT INTO sessions (id, user_id) VALUES ('bare', 'user-2')")
    legacy.execute(
        "INSERT INTO evidence_log VALUES (1, 'old-session', 'HL', 'contextual', 'ran', NULL)"
    )
    legacy.commit()
    legacy.close()

    c = db.connect(tmp_path / "legacy.db")
    db.apply_schema(c)
    db.apply_schema(c)  # the ALTERs are skipped the second time
    columns = [r[1] for r in c.execute("PRAGMA table_info(sessions)")]
    assert columns[:5] == ["id", "user_id", "created_at", "transcript", "dimensions"]
    assert {"phase", "overall_coherence", "yama_balance"} <= set(columns)
    assert count(c, "evidence_log") == 1

    old = db.load_session(c, "old-session")
    # naive text, as CURRENT_TIMESTAMP writes it, is UTC
    assert old.created_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (old.phase, old.transcript, old.streams) == ("INVOCATION", "hi", [])
    assert db.load_session(c, "bare").created_at is None

    # save_session upserts the model's columns only: the legacy `dimensions` stays as it was
    db.save_session(c, old.model_copy(update={"transcript": "edited"}))
    row = c.execute(
        "SELECT transcript, dimensions FROM sessions WHERE id = 'old-session'"
    ).fetchone()
    assert tuple(row) == ("edited", '{"HL": {"score": 4, "confidence": "HIGH"}}')


def test_apply_schema_refuses_a_same_named_table_it_cannot_extend(
    db: ModuleType, tmp_path: Path
) -> None:
    c = db.connect(tmp_path / "x.db")
    c.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY)")  # no user_id: not the legacy table
    before = dump(c)
    with pytest.raises(ValueError, match="'sessions' exists without column"):
        db.apply_schema(c)
    assert dump(c) == before


# -- the schema's own guarantees, through plain SQL on a connect()ed connection --------------------


def test_document_test_2_through_sql(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO sessions (id, user_id) VALUES ('test-session', 'u')")
    conn.execute(
        "INSERT INTO narrative_streams (session_id, stream_id, coherence, fluidity, authenticity) "
        "VALUES ('test-session', 'BODY_KNOWLEDGE', 0.7, 0.5, 0.8)"
    )
    conn.execute(
        "INSERT INTO quantum_states (stream_id, state, probability) "
        "VALUES (1, 'Empowered Tracker', 0.6), (1, 'Anxious Monitor', 0.4)"
    )
    assert (
        conn.execute("SELECT SUM(probability) FROM quantum_states WHERE stream_id = 1").fetchone()[
            0
        ]
        == 1.0
    )
    with pytest.raises(sqlite3.IntegrityError, match=r"sums past 1\.0"):
        conn.execute(
            "INSERT INTO quantum_states (stream_id, state, probability) VALUES (1, 'Third', 0.2)"
        )
    with pytest.raises(sqlite3.IntegrityError, match=r"sums past 1\.0"):
        conn.execute("UPDATE quantum_states SET probability = 0.7 WHERE state = 'Anxious Monitor'")
    assert count(conn, "quantum_states") == 2


def test_deleting_a_session_cascades_to_every_table(
    db: ModuleType, conn: sqlite3.Connection
) -> None:
    db.save_session(conn, full_session(db))
    assert all(count(conn, t) > 0 for t in TABLES)
    conn.execute("DELETE FROM sessions WHERE id = 's-1'")
    assert [count(conn, t) for t in TABLES] == [0] * len(TABLES)


def test_updated_at_changes_on_update(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    stream = seeded["stream"]
    conn.execute(
        "UPDATE narrative_streams SET updated_at = '2000-01-01 00:00:00' WHERE id = ?", (stream,)
    )
    conn.execute("UPDATE narrative_streams SET coherence = 0.9 WHERE id = ?", (stream,))
    stamp = conn.execute(
        "SELECT updated_at FROM narrative_streams WHERE id = ?", (stream,)
    ).fetchone()[0]
    assert stamp > "2000-01-01 00:00:00"

    # set_temporal_layers updates in place: same id and created_at, a fresh updated_at
    first = db.set_temporal_layers(conn, stream, {"past_story": "a"})
    conn.execute(
        "UPDATE temporal_layers SET created_at = '2000-01-01 00:00:00', updated_at = '2000-01-01 00:00:00'"
    )
    assert db.set_temporal_layers(conn, stream, {"past_story": "b"}) == first
    row = conn.execute("SELECT past_story, created_at, updated_at FROM temporal_layers").fetchone()
    assert (row[0], row[1]) == ("b", "2000-01-01 00:00:00")
    assert row[2] > "2000-01-01 00:00:00"


# -- the helpers: happy paths ------------------------------------------------------------------------


def test_create_narrative_stream(db: ModuleType, conn: sqlite3.Connection, seeded: dict) -> None:
    new = db.create_narrative_stream(
        conn, "s1", "DATA_SYNTHESIS", coherence=0.3, fragments=[{"text": "t", "type": "fear"}]
    )
    row = conn.execute(
        "SELECT session_id, stream_id, coherence FROM narrative_streams WHERE id = ?", (new,)
    ).fetchone()
    assert tuple(row) == ("s1", "DATA_SYNTHESIS", 0.3)
    assert (
        conn.execute(
            "SELECT text FROM antenarrative_fragments WHERE stream_id = ?", (new,)
        ).fetchone()[0]
        == "t"
    )


def test_add_antenarrative_fragment_writes_json_and_utc_text(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    schemas = sys.modules[db.__name__.rsplit(".", 1)[0] + ".schemas"]
    fragment = schemas.AntenarativeFragment(  # the document's spelling is an alias
        text="née 🎉",
        type="desire",
        tensions=["a", "ü"],
        timestamp=datetime(2024, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        yama_resonances=[{"principle": "Asteya", "resonance": "exploration"}],
    )
    new = db.add_antenarrative_fragment(conn, seeded["stream"], fragment)
    row = conn.execute(
        "SELECT tensions, timestamp FROM antenarrative_fragments WHERE id = ?", (new,)
    ).fetchone()
    assert tuple(row) == ('["a", "ü"]', "2024-01-01 12:00:00+00:00")
    assert (
        conn.execute(
            "SELECT principle FROM yama_resonances WHERE fragment_id = ?", (new,)
        ).fetchone()[0]
        == "Asteya"
    )


def test_update_quantum_states_replaces_the_list(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    stream = seeded["stream"]
    first = db.update_quantum_states(
        conn, stream, [{"state": "A", "probability": 0.6}, {"state": "B", "probability": 0.4}]
    )
    assert len(first) == 2
    second = db.update_quantum_states(conn, stream, [{"state": "C", "probability": 1.0}])
    assert [tuple(r) for r in conn.execute("SELECT id, state FROM quantum_states")] == [
        (second[0], "C")
    ]
    assert db.update_quantum_states(conn, stream, []) == []  # no states at all is allowed
    assert count(conn, "quantum_states") == 0


def test_set_temporal_layers_inserts_updates_and_removes(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    stream = seeded["stream"]
    new = db.set_temporal_layers(conn, stream, {"past_story": "then", "future_projection": "later"})
    assert db.set_temporal_layers(conn, stream, {"present_moment": "now"}) == new
    row = conn.execute("SELECT past_story, present_moment FROM temporal_layers").fetchone()
    assert tuple(row) == ("", "now")  # set means set: fields not given take their defaults
    assert db.set_temporal_layers(conn, stream, None) is None
    assert count(conn, "temporal_layers") == 0


def test_add_grand_narrative_and_yama_resonance(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    n = db.add_grand_narrative(
        conn, seeded["stream"], {"discourse": "Genetic determinism", "user_stance": "accepting"}
    )
    assert (
        conn.execute("SELECT influence FROM grand_narratives WHERE id = ?", (n,)).fetchone()[0]
        == 0.5
    )
    r = db.add_yama_resonance(
        conn, seeded["fragment"], {"principle": "Aparigraha", "resonance": "alignment"}
    )
    assert (
        conn.execute("SELECT fragment_id FROM yama_resonances WHERE id = ?", (r,)).fetchone()[0]
        == seeded["fragment"]
    )


# -- the helpers: refused input writes nothing -------------------------------------------------------

REFUSED = {
    "create: no such session": (
        lambda db, conn, s: db.create_narrative_stream(conn, "nope", "DATA_SYNTHESIS"),
        ValueError,
        "no quantum story session with id 'nope'",
    ),
    "create: not a stream id": (
        lambda db, conn, s: db.create_narrative_stream(conn, "s1", "HL"),
        ValidationError,
        "stream_id",
    ),
    "create: the same stream twice": (
        lambda db, conn, s: db.create_narrative_stream(conn, "s1", "BODY_KNOWLEDGE"),
        ValueError,
        "UNIQUE constraint failed",
    ),
    "create: a bound broken in a nested fragment": (
        lambda db, conn, s: db.create_narrative_stream(
            conn,
            "s1",
            "DATA_SYNTHESIS",
            fragments=[{"text": "ok", "type": "fear"}, {"text": "", "type": "fear"}],
        ),
        ValidationError,
        "fragments.1.text",
    ),
    "create: a key given twice": (
        lambda db, conn, s: db.create_narrative_stream(conn, "s1", "DATA_SYNTHESIS", stream_id="x"),
        TypeError,
        "stream_id",
    ),
    "fragment: no such stream": (
        lambda db, conn, s: db.add_antenarrative_fragment(
            conn, 42, {"text": "t", "type": "memory"}
        ),
        ValueError,
        "no narrative stream with id 42",
    ),
    "fragment: an unknown field": (
        lambda db, conn, s: db.add_antenarrative_fragment(
            conn, s["stream"], {"text": "t", "type": "memory", "mood": 1}
        ),
        ValidationError,
        "mood",
    ),
    "fragment: a bad resonance inside": (
        lambda db, conn, s: db.add_antenarrative_fragment(
            conn,
            s["stream"],
            {
                "text": "t",
                "type": "memory",
                "yama_resonances": [{"principle": "Karma", "resonance": "tension"}],
            },
        ),
        ValidationError,
        "principle",
    ),
    "states: sum below 1": (
        lambda db, conn, s: db.update_quantum_states(
            conn, s["stream"], [{"state": "A", "probability": 0.5}]
        ),
        ValidationError,
        "sum to 1.0",
    ),
    "states: a third state past 1": (
        lambda db, conn, s: db.update_quantum_states(
            conn,
            s["stream"],
            [
                {"state": "A", "probability": 0.6},
                {"state": "B", "probability": 0.4},
                {"state": "C", "probability": 0.2},
            ],
        ),
        ValidationError,
        "sum to 1.0",
    ),
    "states: a probability above 1": (
        lambda db, conn, s: db.update_quantum_states(
            conn, s["stream"], [{"state": "A", "probability": 1.5}]
        ),
        ValidationError,
        "less than or equal to 1",
    ),
    "states: not a list": (
        lambda db, conn, s: db.update_quantum_states(
            conn, s["stream"], {"state": "A", "probability": 1.0}
        ),
        ValidationError,
        "valid list",
    ),
    "states: no such stream": (
        lambda db, conn, s: db.update_quantum_states(
            conn, 42, [{"state": "A", "probability": 1.0}]
        ),
        ValueError,
        "no narrative stream with id 42",
    ),
    "layers: not a string": (
        lambda db, conn, s: db.set_temporal_layers(conn, s["stream"], {"past_story": 5}),
        ValidationError,
        "past_story",
    ),
    "layers: no such stream": (
        lambda db, conn, s: db.set_temporal_layers(conn, 42, {}),
        ValueError,
        "no narrative stream with id 42",
    ),
    "narrative: a stance outside the vocabulary": (
        lambda db, conn, s: db.add_grand_narrative(
            conn, s["stream"], {"discourse": "d", "user_stance": "ignoring"}
        ),
        ValidationError,
        "user_stance",
    ),
    "narrative: influence above 1": (
        lambda db, conn, s: db.add_grand_narrative(
            conn, s["stream"], {"discourse": "d", "user_stance": "accepting", "influence": 2}
        ),
        ValidationError,
        "influence",
    ),
    "resonance: no such fragment": (
        lambda db, conn, s: db.add_yama_resonance(
            conn, 42, {"principle": "Satya", "resonance": "tension"}
        ),
        ValueError,
        "no antenarrative fragment with id 42",
    ),
    "save: two streams of one kind": (
        lambda db, conn, s: db.save_session(
            conn,
            {"session_id": "s1", "user_id": "u2", "streams": [{"stream_id": "BODY_KNOWLEDGE"}] * 2},
        ),
        ValueError,
        "UNIQUE constraint failed",
    ),
    "save: not a session": (
        lambda db, conn, s: db.save_session(conn, {"session_id": "", "user_id": "u"}),
        ValidationError,
        "session_id",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_input_raises_and_leaves_the_database_unchanged(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict, case: str
) -> None:
    db.update_quantum_states(
        conn,
        seeded["stream"],
        [{"state": "A", "probability": 0.6}, {"state": "B", "probability": 0.4}],
    )
    db.set_temporal_layers(conn, seeded["stream"], {"past_story": "p"})
    before = dump(conn)
    call, error, message = REFUSED[case]
    with pytest.raises(error, match=message):
        call(db, conn, seeded)
    assert not conn.in_transaction
    assert dump(conn) == before


def test_a_model_changed_after_it_was_built_is_validated_again(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    schemas = sys.modules[db.__name__.rsplit(".", 1)[0] + ".schemas"]
    fragment = schemas.AntenarrativeFragment(text="t", type="memory")
    fragment.text = ""  # models do not validate assignment: the helper does
    before = dump(conn)
    with pytest.raises(ValidationError, match="text"):
        db.add_antenarrative_fragment(conn, seeded["stream"], fragment)
    assert dump(conn) == before
    fragment.text = "t"
    fragment.timestamp = datetime(2024, 1, 1)  # naive: the model reads it as UTC
    new = db.add_antenarrative_fragment(conn, seeded["stream"], fragment)
    stamp = conn.execute(
        "SELECT timestamp FROM antenarrative_fragments WHERE id = ?", (new,)
    ).fetchone()[0]
    assert stamp == "2024-01-01 00:00:00+00:00"


def test_helpers_refuse_a_connection_without_foreign_keys(db: ModuleType, tmp_path: Path) -> None:
    c = db.connect(tmp_path / "x.db")
    db.apply_schema(c)
    c.close()
    plain = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    with pytest.raises(RuntimeError, match="foreign keys are off"):
        db.save_session(plain, {"session_id": "s", "user_id": "u"})


def test_helpers_inside_a_callers_transaction_use_savepoints(
    db: ModuleType, conn: sqlite3.Connection, seeded: dict
) -> None:
    conn.execute("BEGIN")
    db.add_grand_narrative(
        conn, seeded["stream"], {"discourse": "kept", "user_stance": "accepting"}
    )
    with pytest.raises(ValueError):
        db.add_grand_narrative(conn, 42, {"discourse": "refused", "user_stance": "accepting"})
    assert conn.in_transaction  # the caller's transaction is still open, with the first write
    conn.execute("COMMIT")
    assert [r[0] for r in conn.execute("SELECT discourse FROM grand_narratives")] == ["kept"]


# -- save and load the whole aggregate -----------------------------------------------------------


def test_save_then_load_gives_back_an_equal_session(
    db: ModuleType, conn: sqlite3.Connection
) -> None:
    session = full_session(db)
    assert db.save_session(conn, session) == "s-1"
    assert all(count(conn, t) > 0 for t in TABLES)
    loaded = db.load_session(conn, "s-1")
    assert loaded == session
    assert loaded.model_dump(by_alias=True) == session.model_dump(by_alias=True)
    assert [s.stream_id for s in loaded.streams] == [
        "BODY_KNOWLEDGE",
        "DATA_SYNTHESIS",
        "FUTURE_HEALTH_IMAGINARY",
    ]
    # the same instants, stored and read back in UTC
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded.streams[0].possible_states[0].evolution[0].time.utcoffset() == timedelta(0)

    # saving again replaces the children instead of adding to them
    db.save_session(conn, loaded)
    assert db.load_session(conn, "s-1") == session
    assert count(conn, "narrative_streams") == 3


def test_save_accepts_a_dict_keyed_by_typescript_names(
    db: ModuleType, conn: sqlite3.Connection
) -> None:
    data = full_session(db).model_dump(by_alias=True)
    db.save_session(conn, data)
    assert db.load_session(conn, "s-1").model_dump(by_alias=True) == data


def test_load_of_a_missing_session_is_none(db: ModuleType, conn: sqlite3.Connection) -> None:
    assert db.load_session(conn, "nobody") is None


def test_load_runs_the_same_number_of_queries_for_any_number_of_rows(
    db: ModuleType, conn: sqlite3.Connection
) -> None:
    small = full_session(db, "small").model_copy(update={"streams": full_session(db).streams[:1]})
    big = full_session(db, "big")
    fragment = big.streams[0].fragments[0]
    streams = [
        s.model_copy(
            update={"fragments": [fragment] * 40, "grand_narratives": s.grand_narratives * 5}
        )
        for s in (
            big.streams[0],
            *(
                big.streams[0].model_copy(update={"stream_id": k})
                for k in (
                    "BIOMARKER_MYTHOLOGY",
                    "DATA_SYNTHESIS",
                    "TECHNOLOGY_RELATIONSHIP",
                    "FUTURE_HEALTH_IMAGINARY",
                )
            ),
        )
    ]
    big = big.model_copy(update={"streams": streams})
    db.save_session(conn, small)
    db.save_session(conn, big)

    def queries(session_id: str) -> tuple[int, Any]:
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        try:
            loaded = db.load_session(conn, session_id)
        finally:
            conn.set_trace_callback(None)
        return len(seen), loaded

    n_small, loaded_small = queries("small")
    n_big, loaded_big = queries("big")
    assert loaded_small == small and loaded_big == big
    assert count(conn, "antenarrative_fragments") > 200
    assert n_small == n_big == 1 + len(TABLES) + 2  # sessions, each child table, BEGIN and COMMIT


# -- nothing is specific to the narrative streams ------------------------------------------------------

CASES = ROOT / "tests" / "cases"
OK_CASES = sorted(
    p.name
    for p in CASES.iterdir()
    if (p / "input.ts").is_file() and not p.name.startswith("errors_")
)


@pytest.fixture(scope="module")
def case_db(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], ModuleType]:
    """The database module generated from tests/cases/<name>/input.ts (rendered once per case)."""
    made: dict[str, ModuleType] = {}

    def get(name: str) -> ModuleType:
        if name not in made:
            made[name] = _generate(
                tmp_path_factory.mktemp(name), CASES / name / "input.ts", f"gen_case_{name}"
            )
        return made[name]

    return get


@pytest.mark.parametrize("name", OK_CASES)
def test_every_golden_case_gets_a_database_module_that_works(
    case_db: Callable[[str], ModuleType], tmp_path: Path, name: str
) -> None:
    module = case_db(name)
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F,E9", module.__file__],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    c = module.connect(tmp_path / "case.db")
    module.apply_schema(c)
    before = dump(c)
    module.apply_schema(c)
    assert dump(c) == before


def test_relations_case_gets_helpers_named_from_its_spec(
    case_db: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """A root keyed by a field (column `label`), a natural key (create_), a @sum list (update_)."""
    other = case_db("relations")
    c = other.connect(tmp_path / "r.db")
    other.apply_schema(c)
    other.save_shelf(
        c,
        {
            "name": "fiction",
            "books": [{"isbn": "1234567890", "owners": [{"who": "a", "share": 1}]}],
        },
    )
    book = other.create_book(c, "fiction", "0987654321", lent=True)
    assert (
        len(other.update_owners(c, book, [{"who": "b", "share": 0.5}, {"who": "c", "share": 0.5}]))
        == 2
    )
    with pytest.raises(ValidationError):
        other.update_owners(c, book, [{"who": "b", "share": 0.5}])
    with pytest.raises(ValueError, match="no shelf with label 'poetry'"):
        other.create_book(c, "poetry", "0987654321")
    shelf = other.load_shelf(c, "fiction")
    assert [(b.isbn, b.lent, [o.who for o in b.owners]) for b in shelf.books] == [
        ("1234567890", False, ["a"]),
        ("0987654321", True, ["b", "c"]),
    ]
    assert other.load_shelf(c, other.save_shelf(c, shelf)) == shelf


def test_python_names_case_round_trips(
    case_db: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """Keyword field names, a surrogate-keyed root (save_ returns the new id), children in `global`."""
    other = case_db("python_names")
    schemas = sys.modules["gen_case_python_names.schemas"]
    c = other.connect(tmp_path / "p.db")
    other.apply_schema(c)
    event = schemas.Event.model_validate(
        {
            "class": "c",
            "from": 0.25,
            "json": ["x"],
            "dict": {"k": 1.5},
            "fields": ["None"],
            "copy": "from",
            "global": [
                {"from": 0.5, "lambda": None},
                {"from": 0.5, "lambda": datetime(2024, 1, 1, tzinfo=UTC)},
            ],
        }
    )
    event_id = other.save_event(c, event)
    assert isinstance(event_id, int)
    assert other.load_event(c, event_id) == event
    other.update_parts(c, event_id, [{"from": 1.0, "lambda": None}])
    loaded = other.load_event(c, event_id).model_dump(by_alias=True)
    assert loaded["global"] == [{"from": 1.0, "lambda": None}]


def test_quoting_case_round_trips_hostile_values(
    case_db: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """A table named `order`, a column named `select`, literals with quotes and backslashes."""
    other = case_db("quoting")
    c = other.connect(tmp_path / "q.db")
    other.apply_schema(c)
    for value in ("it's", 'say "hi"', "back\\slash", "drop table x; --"):
        order = {"select": value, "class": '\'; DROP TABLE "order"; --', "schema": None}
        order_id = other.save_order(c, order)
        assert other.load_order(c, order_id).model_dump(by_alias=True) == {
            **order,
            "model_config": None,
            "owner": "O'Brien",
        }
