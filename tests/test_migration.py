"""The generated legacy migration (generated/migrate_to_quantum.py) and its rollback, run for real.

A catalogue of legacy databases: the phase document's Test 3 row; one holding every kind of
mess issue 3 lists; clean ones of a few thousand sessions for the kill tests. Each is
migrated by the generated script (in-process through `migrate()`, or as a real process when
exit codes, messages or SIGKILL matter) and checked: every legacy row migrated or quarantined,
the report balanced, every migrated session loading through `generated.database.load_session`,
a second run a no-op, the rollback restoring the exact `.dump`, and runs killed at every phase
leaving the old database or the migrated one.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import random
import re
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen import legacy
from codegen.errors import CodegenError
from codegen.parse_ts import parse_file
from codegen.render import Context
from codegen.targets import migration

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
SCRIPT = GENERATED / "migrate_to_quantum.py"
ROLLBACK = GENERATED / "rollback_quantum.py"
LEGACY_DDL = (ROOT / "tests" / "data" / "legacy_schema.sql").read_text()
MAPPING_FILE = ROOT / "spec" / "legacy-mapping.json"
LEGACY_TABLES = ("sessions", "evidence_log")
NEW_TABLES = ("narrative_streams", "quantum_states", "antenarrative_fragments", "legacy_quarantine")


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_test_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIGRATE = _module(SCRIPT)
RESTORE = _module(ROLLBACK)


# -- building legacy databases -------------------------------------------------------------------


def legacy_db(path: Path, sessions: list[tuple], evidence: list[tuple] = ()) -> Path:
    """A database made from the phase document's current schema, holding these rows."""
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_DDL)
    conn.executemany(
        "INSERT INTO sessions (id, user_id, created_at, transcript, dimensions) VALUES (?, ?, ?, ?, ?)",
        sessions,
    )
    conn.executemany(
        "INSERT INTO evidence_log (session_id, dimension, type, summary, timestamp) VALUES (?, ?, ?, ?, ?)",
        evidence,
    )
    conn.commit()
    conn.close()
    return path


def clean_db(path: Path, n: int) -> Path:
    """n clean sessions, 5 dimensions and 3 evidence rows each (the benchmark's builder)."""
    bench = _module(ROOT / "benchmarks" / "bench_migration.py")
    bench.build_legacy(path, n)
    return path


def dump(path: Path, tables: tuple[str, ...] | None = None) -> list[str]:
    """`.dump` of the database, or of some tables only (schema and rows)."""
    conn = sqlite3.connect(path)
    try:
        lines = list(conn.iterdump())
    finally:
        conn.close()
    if tables is None:
        return lines
    keep = tuple(f"CREATE TABLE {t} " for t in tables) + tuple(
        f'INSERT INTO "{t}" ' for t in tables
    )
    return [line for line in lines if line.startswith(keep)]


VOLATILE = {
    "created_at",
    "updated_at",
    "applied_at",
    "quarantined_at",
    "report",
    "backup_path",
    "backup_sha256",
}


def content(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, without the columns that hold the time of the run."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for (table,) in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ):
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            keep = [
                c for c in cols if c not in VOLATILE or (table == "sessions" and c == "created_at")
            ]
            select = ", ".join(f'"{c}"' for c in keep)
            out[table] = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY rowid').fetchall()
        schema = conn.execute(
            "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
        ).fetchall()
        out["<schema>"] = schema
        return out
    finally:
        conn.close()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def query(path: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def run(
    *args: str, env: dict[str, str] | None = None, script: Path = SCRIPT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def to_head(db: Path) -> None:
    """The project's later migrations too, as an operator's `python -m codegen migrate DB` runs
    them after this script (a no-op while migration 1 is the last): the generated models read
    the schema of the spec's head."""
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "migrate", str(db), "--no-backup", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def loader():
    """generated.database's connect and load_session; skip while another change writes them."""
    if not (GENERATED / "database.py").is_file():
        pytest.skip(
            "generated/database.py does not exist yet (the database target is another change)"
        )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from generated.database import connect, load_session

    return connect, load_session


# -- the phase document's Test 3 -----------------------------------------------------------------


def test_phase_document_test_3_high_confidence_becomes_a_body_knowledge_stream(
    tmp_path: Path,
) -> None:
    db = legacy_db(
        tmp_path / "metaguardian.db",
        [("old-session", "user-1", None, None, '{"HL": {"score": 4, "confidence": "HIGH"}}')],
    )
    MIGRATE.migrate(db, backup=tmp_path / "backup.db")
    streams = query(
        db,
        "SELECT id, stream_id, coherence, fluidity, authenticity FROM narrative_streams WHERE session_id = 'old-session'",
    )
    assert [s[1:] for s in streams] == [("BODY_KNOWLEDGE", 0.8, 0.2, 0.8)]  # HIGH = 4 of 5
    states = query(
        db,
        "SELECT state, probability, evolution FROM quantum_states WHERE stream_id = ? ORDER BY id",
        streams[0][0],
    )
    assert states == [
        ("Advanced Body Knowledge", 0.7, '[{"time":null,"probability":0.7}]'),
        ("Unresolved Body Knowledge", 0.3, '[{"time":null,"probability":0.3}]'),
    ]
    to_head(db)
    connect, load_session = loader()
    conn = connect(db, wal=False)
    session = load_session(conn, "old-session")
    conn.close()
    assert session is not None and [s.stream_id for s in session.streams] == ["BODY_KNOWLEDGE"]
    assert sum(p.probability for p in session.streams[0].possible_states) == pytest.approx(1.0)


# -- every kind of mess --------------------------------------------------------------------------

# (id, user_id, created_at, transcript, dimensions), expected reason (None: migrated)
MESSY_SESSIONS = [
    (
        ("s-clean", "u1", "2024-03-01 10:00:00", "clean", '{"HL": {"score": 4, "confidence": 5}}'),
        None,
    ),
    (
        (
            "s-numeric-strings",
            "u1",
            "2024-03-01T10:00:00Z",
            None,
            '{"HL": {"score": "2.5", "confidence": " 3 "}}',
        ),
        None,
    ),
    (
        (
            "s-words",
            "u1",
            "2024-03-01T12:00:00+02:00",
            None,
            '{"CM": {"score": 1, "confidence": "medium"}, "DI": {"score": 0, "confidence": "Low"}}',
        ),
        None,
    ),
    (
        (
            "s-missing-values",
            "u1",
            None,
            None,
            '{"DL": {}, "PR": {"score": null, "confidence": null}}',
        ),
        None,
    ),
    (("s-null-dims", "u1", None, "no dimensions", None), None),
    (("s-empty-dims", "u1", "", None, ""), None),
    (("s-not-json", "u1", 1709287200, None, "{HL: 4"), None),
    (("s-json-array", "u1", "1709287200000", None, "[1, 2]"), None),
    (
        (
            "s-entry-not-object",
            "u1",
            "01/03/2024 10:00",
            None,
            '{"HL": 4, "CM": [1], "DI": {"score": 1}}',
        ),
        None,
    ),
    (
        (
            "s-unknown-code",
            "u1",
            "2024/03/01",
            None,
            '{"XX": {"score": 1}, "hl": {"score": 3, "confidence": "high"}}',
        ),
        None,
    ),
    (
        (
            "s-duplicates",
            "u1",
            None,
            None,
            '{"HL": {"score": 1}, "HL": {"score": 5}, " hl ": {"score": 2}}',
        ),
        None,
    ),
    (
        (
            "s-unreadable",
            "u1",
            None,
            None,
            '{"HL": {"score": 1, "confidence": "sure"}, "CM": {"score": true}}',
        ),
        None,
    ),
    (("s-out-of-range", "u1", None, None, '{"HL": {"score": 9, "confidence": -2}}'), None),
    (
        (
            "s-text",
            "ユーザー 🧬",
            None,
            "quotes ' \" and 健康 🧬",
            '{"PR": {"score": 2.5, "confidence": 2.5}}',
        ),
        None,
    ),
    (("s-evidence-only", "u1", "2024-03-01", None, "{}"), None),
    (
        ("s-bad-time", "u1", "next tuesday", None, '{"HL": {"score": 1}}'),
        "created_at is not a readable timestamp",
    ),
    (
        ("s-impossible-date", "u1", "2023-02-29 10:00:00", None, '{"HL": {"score": 1}}'),
        "created_at is not a readable timestamp",
    ),
    (("", "u1", None, None, "{}"), "session id is empty"),
    ((None, "u1", None, None, "{}"), "session id is missing"),
    (("s-no-user", "", None, None, "{}"), "user_id is missing"),
]
# (session_id, dimension, type, summary, timestamp), expected reason (None: migrated)
MESSY_EVIDENCE = [
    (("s-clean", "HL", "contextual", "I used to run every morning", "2024-03-01 09:00:00"), None),
    (
        ("s-clean", "CM", "inferred", "Dimension absent from the JSON: creates the stream", None),
        None,
    ),
    (
        (
            "s-evidence-only",
            " dl ",
            " Contextual",
            "I track with an app 📱",
            "2024-03-02T08:00:00Z",
        ),
        None,
    ),
    (("s-evidence-only", "DL", None, "NULL type", "02/03/2024 08:00:00"), None),
    (("s-text", "PR", "speculative", "Здоровье — это 'будущее' \"дом\" 健康", 1709287200), None),
    (
        ("s-unreadable", "HL", "contextual", "Entry quarantined, stream made from evidence", None),
        None,
    ),
    (("s-clean", "XX", "contextual", "unknown code", None), "unknown dimension code"),
    (("s-clean", None, "contextual", "no code", None), "evidence has no dimension code"),
    (("s-nowhere", "HL", "contextual", "orphan", None), "session does not exist"),
    ((None, "HL", "contextual", "no session", None), "evidence has no session"),
    (("s-clean", "HL", "contextual", None, None), "summary is empty"),
    (("s-clean", "HL", "contextual", "   ", None), "summary is empty"),
    (("s-clean", "HL", "contextual", "bad time", "soon"), "timestamp is not a readable timestamp"),
    (
        ("s-bad-time", "HL", "contextual", "its session is quarantined", None),
        "session quarantined: created_at is not a readable timestamp",
    ),
]
# session -> {stream: (coherence, fluidity, authenticity, first state, its probability)}
EXPECTED_STREAMS = {
    "s-clean": {"BODY_KNOWLEDGE": (1.0, 0.2, 1.0, "Advanced Body Knowledge", 0.7),
                "BIOMARKER_MYTHOLOGY": (0.0, 1.0, 0.0, "Emerging Biomarker Mythology", 0.5)},
    "s-numeric-strings": {"BODY_KNOWLEDGE": (0.6, 0.5, 0.6, "Developing Body Knowledge", 0.6)},
    "s-words": {"BIOMARKER_MYTHOLOGY": (0.5, 0.8, 0.5, "Emerging Biomarker Mythology", 0.5),
                "DATA_SYNTHESIS": (0.2, 1.0, 0.2, "Emerging Data Synthesis", 0.5)},
    "s-missing-values": {"TECHNOLOGY_RELATIONSHIP": (0.0, 1.0, 0.0, "Emerging Technology Relationship", 0.5),
                         "FUTURE_HEALTH_IMAGINARY": (0.0, 1.0, 0.0, "Emerging Future Health Imaginary", 0.5)},
    "s-entry-not-object": {"DATA_SYNTHESIS": (0.0, 0.8, 0.0, "Emerging Data Synthesis", 0.5)},
    "s-unknown-code": {"BODY_KNOWLEDGE": (0.8, 0.4, 0.8, "Developing Body Knowledge", 0.6)},
    "s-duplicates": {"BODY_KNOWLEDGE": (0.0, 0.8, 0.0, "Emerging Body Knowledge", 0.5)},
    "s-unreadable": {"BODY_KNOWLEDGE": (0.0, 1.0, 0.0, "Emerging Body Knowledge", 0.5)},  # from evidence
    "s-out-of-range": {"BODY_KNOWLEDGE": (0.0, 0.0, 0.0, "Advanced Body Knowledge", 0.7)},
    "s-text": {"FUTURE_HEALTH_IMAGINARY": (0.5, 0.5, 0.5, "Developing Future Health Imaginary", 0.6)},
    "s-evidence-only": {"TECHNOLOGY_RELATIONSHIP": (0.0, 1.0, 0.0, "Emerging Technology Relationship", 0.5)},
}  # fmt: skip
EXPECTED_CREATED_AT = {
    "s-clean": "2024-03-01 10:00:00", "s-numeric-strings": "2024-03-01 10:00:00", "s-words": "2024-03-01 10:00:00",
    "s-missing-values": None, "s-empty-dims": None, "s-not-json": "2024-03-01 10:00:00",
    "s-json-array": "2024-03-01 10:00:00", "s-entry-not-object": "2024-03-01 10:00:00",
    "s-unknown-code": "2024-03-01 00:00:00", "s-evidence-only": "2024-03-01 00:00:00",
}  # fmt: skip
EXPECTED_ENTRY_REASONS = Counter({
    "dimensions is not JSON": 1, "dimensions is JSON but not an object": 1, "dimension entry is not an object": 2,
    "unknown dimension code": 1, "duplicate dimension code": 2, "confidence is unreadable": 1, "score is unreadable": 1,
    "session quarantined: created_at is not a readable timestamp": 2,
})  # fmt: skip


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    db = legacy_db(
        tmp_path / "messy.db", [s for s, _ in MESSY_SESSIONS], [e for e, _ in MESSY_EVIDENCE]
    )
    conn = sqlite3.connect(db)  # binary where text belongs
    conn.execute(
        "INSERT INTO evidence_log (session_id, dimension, type, summary) VALUES ('s-clean', 'HL', 'x', x'00ff')"
    )
    conn.commit()
    conn.close()
    return db


def test_messy_database_every_row_migrated_or_quarantined(messy: Path, tmp_path: Path) -> None:
    before = {t: query(messy, f"SELECT rowid, * FROM {t}") for t in LEGACY_TABLES}
    report = MIGRATE.migrate(messy, backup=tmp_path / "messy.bak")

    assert all(row["balanced"] for row in report["sources"]), report["sources"]
    assert all(c["violations"] == 0 for c in report["checks"]), report["checks"]
    figures = {
        row["table"]: (row["read"], row["migrated"], row["quarantined"])
        for row in report["sources"]
    }
    assert figures["sessions"] == (20, 15, 5)
    assert figures["evidence_log"] == (15, 6, 9)
    assert figures["sessions.dimensions"][0] == 22 and figures["sessions.dimensions"][2] == sum(
        EXPECTED_ENTRY_REASONS.values()
    )

    quarantine = query(
        messy,
        "SELECT source_table, source_row_id, source_key, reason, payload FROM legacy_quarantine",
    )
    # sessions: each legacy row is in the quarantine, with its reason and its whole payload, or migrated
    sessions_out = {r[1]: (r[3], json.loads(r[4])) for r in quarantine if r[0] == "sessions"}
    for rowid, *row in before["sessions"]:
        expected = MESSY_SESSIONS[rowid - 1][1]
        if expected is None:
            assert rowid not in sessions_out
        else:
            reason, payload = sessions_out[rowid]
            assert reason == expected
            assert [
                payload[c] for c in ("id", "user_id", "created_at", "transcript", "dimensions")
            ] == row
    # dimension entries: the reasons, and the payload that holds the entry as it was
    assert (
        Counter(r[3] for r in quarantine if r[0] == "sessions.dimensions") == EXPECTED_ENTRY_REASONS
    )
    duplicates = [json.loads(r[4]) for r in quarantine if r[3] == "duplicate dimension code"]
    assert sorted((d["key"], d["value"]["score"]) for d in duplicates) == [(" hl ", 2), ("HL", 5)]
    # evidence: quarantined with its reason and payload, or a fragment of its stream with its words
    evidence_out = {r[1]: (r[3], json.loads(r[4])) for r in quarantine if r[0] == "evidence_log"}
    fragments = Counter(query(messy, """
        SELECT ns.session_id, f.text, f.type FROM antenarrative_fragments AS f
        JOIN narrative_streams AS ns ON ns.id = f.stream_id"""))  # fmt: skip
    for rowid, _id, session_id, _dim, kind, summary, _ts in before["evidence_log"]:
        expected = (
            MESSY_EVIDENCE[rowid - 1][1] if rowid <= len(MESSY_EVIDENCE) else "summary is binary"
        )
        if expected is None:
            fragment_type = (
                "memory" if (kind or "").strip().lower() == "contextual" else "speculation"
            )
            assert fragments[(session_id, summary, fragment_type)] == 1, (session_id, summary)
            assert rowid not in evidence_out
        else:
            assert evidence_out[rowid][0] == expected
            assert evidence_out[rowid][1]["summary"] == (
                summary if isinstance(summary, str | None) else {"blob_hex": "00FF"}
            )

    # the converted values
    rows = query(messy, """
        SELECT ns.session_id, ns.stream_id, ns.coherence, ns.fluidity, ns.authenticity, q.state, q.probability
        FROM narrative_streams AS ns JOIN quantum_states AS q ON q.stream_id = ns.id
        WHERE q.id = (SELECT min(id) FROM quantum_states WHERE stream_id = ns.id)""")  # fmt: skip
    streams: dict[str, dict] = {}
    for session_id, stream, *values in rows:
        streams.setdefault(session_id, {})[stream] = tuple(values)
    assert streams == EXPECTED_STREAMS
    created = dict(query(messy, "SELECT id, created_at FROM sessions"))
    assert {k: created[k] for k in EXPECTED_CREATED_AT} == EXPECTED_CREATED_AT
    times = dict(query(messy, "SELECT text, timestamp FROM antenarrative_fragments"))
    assert times["I track with an app 📱"] == "2024-03-02 08:00:00"
    assert times["NULL type"] == "2024-03-02 08:00:00"  # 02/03/2024: day first
    assert times["Здоровье — это 'будущее' \"дом\" 健康"] == "2024-03-01 10:00:00"  # unix epoch
    # a missing evidence time falls back to the session's
    assert times["Dimension absent from the JSON: creates the stream"] == "2024-03-01 10:00:00"

    # the legacy tables are as they were, except created_at in its canonical form
    after = {t: query(messy, f"SELECT rowid, * FROM {t}") for t in LEGACY_TABLES}
    assert after["evidence_log"] == before["evidence_log"]
    for old, new in zip(before["sessions"], after["sessions"], strict=True):
        rowid, session_id, user_id, created_at, transcript, dimensions = new[:6]  # then new columns
        assert (rowid, session_id, user_id, transcript, dimensions) == old[:3] + old[4:]
        canonical = EXPECTED_CREATED_AT.get(session_id, "")
        assert created_at in (old[3], canonical) or (old[3] == "" and created_at is None)


def test_messy_database_every_migrated_session_loads(messy: Path) -> None:
    MIGRATE.migrate(messy)
    to_head(messy)
    connect, load_session = loader()
    migrated = [r[0] for r in query(messy, """
        SELECT id FROM sessions WHERE rowid NOT IN (
            SELECT source_row_id FROM legacy_quarantine WHERE source_table = 'sessions')""")]  # fmt: skip
    assert len(migrated) == 15
    conn = connect(messy, wal=False)
    try:
        for session_id in migrated:
            session = load_session(conn, session_id)
            assert session is not None and session.session_id == session_id
            for stream in session.streams:
                assert sum(s.probability for s in stream.possible_states) == pytest.approx(1.0)
    finally:
        conn.close()


def test_edge_values_are_quarantined_with_their_exact_payload(tmp_path: Path) -> None:
    """Values found by attacking the migration: each is quarantined, none fails the run."""
    db = legacy_db(
        tmp_path / "edge.db",
        [
            ("s-negative-year", "u", "-0001-01-01 00:00:00", None, '{"HL": {"score": 4}}'),
            ("s-year-zero", "u", "0000-01-01 00:00:00", None, '{"HL": {"score": 4}}'),
            ("s-nul-time", "u", "2023-01-01 10:00:00\x00garbage", None, '{"HL": {"score": 4}}'),
            ("s-number", "u", None, None, "5"),
            (
                "s-tokens",
                "u",
                "2024-01-01 00:00:00",
                None,
                '{"HL": {"score": 1}, "XX": 12345678901234567890, "YY": 1e400, "ZZ": -0,'
                ' "WW": "a\\u0000b", "VV": 2.50, "VV": 3, "q\\"k": 1e400}',
            ),
        ],
        [
            ("s-tokens", "HL", "contextual", "\x00hidden", None),
            ("s-tokens", "HL", "contextual", "kept", "-0001-01-01 00:00:00"),
            ("s-tokens", "HL", "contextual", "kept too", "2024-01-01 00:00:01\x00x"),
        ],
    )
    report = MIGRATE.migrate(db)
    assert all(row["balanced"] for row in report["sources"])
    reasons = dict(
        query(
            db, "SELECT source_key, reason FROM legacy_quarantine WHERE source_table = 'sessions'"
        )
    )
    assert reasons == {
        "s-negative-year": "created_at is not a readable timestamp",
        "s-year-zero": "created_at is not a readable timestamp",
        "s-nul-time": "created_at is not a readable timestamp",
    }
    # the legacy value is left as it was, NUL and all
    assert query(db, "SELECT hex(created_at) FROM sessions WHERE id = 's-nul-time'") == [
        (b"2023-01-01 10:00:00\x00garbage".hex().upper(),)
    ]
    entries = query(
        db,
        "SELECT source_key, reason, json_extract(payload, '$.value'), json(payload) FROM legacy_quarantine"
        " WHERE source_table = 'sessions.dimensions' ORDER BY id",
    )
    by_key = {}
    for key, reason, _, payload in entries:
        by_key.setdefault(key, []).append((reason, payload))
    assert [r for r, _ in by_key[None]] == ["dimensions is JSON but not an object"]
    tokens = {k: json.loads(by_key[k][0][1])["value"] for k in ("XX", "ZZ", "WW")}
    assert tokens == {"XX": 12345678901234567890, "ZZ": 0, "WW": "a\x00b"}
    assert '"value":12345678901234567890' in by_key["XX"][0][1]
    assert '"value":-0' in by_key["ZZ"][0][1]
    assert '"value":1e400' in by_key["YY"][0][1]
    # a duplicate key: each entry keeps its own value; a quoted key falls back to the value as read
    assert [json.loads(p)["value"] for _, p in by_key["VV"]] == [2.5, 3]
    assert by_key['q"k'][0][0] == "unknown dimension code"
    to_head(db)
    connect, load_session = loader()
    conn = connect(db, wal=False)
    try:
        session = load_session(conn, "s-tokens")
        assert [s.stream_id for s in session.streams] == ["BODY_KNOWLEDGE"]
    finally:
        conn.close()
    evidence = query(
        db,
        "SELECT summary, reason FROM legacy_quarantine q JOIN evidence_log e ON e.rowid = q.source_row_id WHERE source_table = 'evidence_log' ORDER BY e.rowid",
    )
    assert evidence == [
        ("\x00hidden", "summary begins with a NUL character"),
        ("kept", "timestamp is not a readable timestamp"),
        ("kept too", "timestamp is not a readable timestamp"),
    ]


def test_messy_database_json_report(messy: Path, tmp_path: Path) -> None:
    proc = run(str(messy), "--json", "--backup", str(tmp_path / "b.db"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "migrated"
    assert [row["table"] for row in report["sources"]] == [
        "sessions",
        "sessions.dimensions",
        "evidence_log",
    ]
    assert all(
        row["read"] == row["migrated"] + row["quarantined"] and row["balanced"]
        for row in report["sources"]
    )
    orphans = {"table": "evidence_log", "reason": "session does not exist", "rows": 1}
    assert orphans in report["quarantine"]
    # messages go to stderr, the report alone to stdout
    assert "quarantined from" not in proc.stdout


# -- re-running, refusing, rolling back ----------------------------------------------------------


def test_second_run_is_a_noop_that_says_so(messy: Path) -> None:
    assert run(str(messy), "--no-backup").returncode == 0
    before = dump(messy)
    proc = run(str(messy))
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stderr
    assert dump(messy) == before
    # no backup for a run that changes nothing
    assert not list(messy.parent.glob("messy.db.backup_*"))


def test_a_database_migrated_by_another_version_is_refused(messy: Path) -> None:
    MIGRATE.migrate(messy)
    conn = sqlite3.connect(messy)
    conn.execute("UPDATE codegen_legacy_migration SET checksum = 'an-older-version'")
    conn.commit()
    conn.close()
    before = dump(messy)
    proc = run(str(messy), "--no-backup")
    assert proc.returncode == 1
    assert "another version of this script" in proc.stderr and "an-older-ver" in proc.stderr
    assert dump(messy) == before


def test_migration_records_itself_as_step_one_of_the_history(messy: Path) -> None:
    MIGRATE.migrate(messy)
    assert query(messy, "SELECT name, checksum FROM codegen_migrations") == [
        (MIGRATE.STEP_NAME, MIGRATE.STEP_CHECKSUM)
    ]
    steps = sorted((GENERATED / "migrations").glob("0001_*.spec.json"))
    assert [s.name.removesuffix(".spec.json") for s in steps] == [MIGRATE.STEP_NAME]


def test_rollback_restores_the_legacy_database_exactly(messy: Path, tmp_path: Path) -> None:
    original = dump(messy)
    backup = tmp_path / "pre.db"
    MIGRATE.migrate(messy, backup=backup)
    assert json.loads((tmp_path / "pre.db.json").read_text())["row_counts"] == {
        "evidence_log": 15,
        "sessions": 20,
    }
    assert dump(messy) != original
    proc = run(str(messy), str(backup), script=ROLLBACK)
    assert proc.returncode == 0, proc.stderr
    assert dump(messy) == original
    assert integrity(messy) == ["ok"]
    again = run(str(messy), str(backup), script=ROLLBACK)  # nothing left to roll back
    assert again.returncode == 0 and "nothing to roll back" in again.stderr
    assert dump(messy) == original


def test_rollback_refuses_a_backup_of_another_database(messy: Path, tmp_path: Path) -> None:
    other = legacy_db(tmp_path / "other.db", [("x", "u", None, None, "{}")])
    MIGRATE.migrate(other, backup=tmp_path / "other.bak")
    MIGRATE.migrate(messy, backup=tmp_path / "messy.bak")
    migrated = dump(messy)
    proc = run(str(messy), str(tmp_path / "other.bak"), script=ROLLBACK)
    assert proc.returncode == 1
    assert "is not the pre-migration backup" in proc.stderr
    assert dump(messy) == migrated


def test_rollback_refuses_a_backup_that_changed_or_none_recorded(
    messy: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "messy.bak"
    MIGRATE.migrate(messy, backup=backup)
    conn = sqlite3.connect(backup)
    conn.execute("DELETE FROM evidence_log WHERE rowid = 1")  # the backup edited after the fact
    conn.commit()
    conn.close()
    migrated = dump(messy)
    assert run(str(messy), str(backup), script=ROLLBACK).returncode == 1
    assert dump(messy) == migrated
    unbacked = legacy_db(tmp_path / "unbacked.db", [("x", "u", None, None, "{}")])
    MIGRATE.migrate(unbacked)
    proc = run(str(unbacked), str(backup), script=ROLLBACK)
    assert proc.returncode == 1 and "--no-backup" in proc.stderr


def test_dry_run_reports_and_leaves_the_database_unchanged(messy: Path) -> None:
    before = dump(messy)
    proc = run(str(messy), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "dry-run" and report["backup"] is None
    assert all(row["balanced"] for row in report["sources"])
    assert report["created"]["narrative_streams"] > 0
    assert dump(messy) == before
    assert not list(messy.parent.glob("messy.db.backup_*"))


def test_exit_codes(tmp_path: Path) -> None:
    assert run(str(tmp_path / "missing.db")).returncode == 1
    assert not (tmp_path / "missing.db").exists()  # never creates the file it was asked to migrate
    assert run(str(tmp_path / "x.db"), "--backup", "b", "--no-backup").returncode == 2
    assert run("--no-such-flag").returncode == 2
    assert run(str(tmp_path / "a"), str(tmp_path / "b"), script=ROLLBACK).returncode == 1
    assert run(script=ROLLBACK).returncode == 2
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    proc = run(str(empty), "--no-backup")
    assert proc.returncode == 1 and "not a Phase 5 MetaGuardian database" in proc.stderr
    db = legacy_db(tmp_path / "db.db", [("s", "u", None, None, "{}")])
    (tmp_path / "taken").write_text("")
    proc = run(str(db), "--backup", str(tmp_path / "taken"))
    assert proc.returncode == 1 and "already exists" in proc.stderr
    assert query(db, "SELECT count(*) FROM sqlite_schema")[0][0] == 3  # two tables and an autoindex


def test_new_tables_that_already_hold_rows_are_refused(tmp_path: Path) -> None:
    db = legacy_db(tmp_path / "db.db", [("s", "u", None, None, "{}")])
    conn = sqlite3.connect(db)
    for sql, *_ in MIGRATE.SCHEMA:
        if sql.strip().startswith("CREATE TABLE") and not sql.strip().startswith(
            'CREATE TABLE IF NOT EXISTS "sessions"'
        ):
            conn.execute(sql)
    conn.execute(
        "INSERT INTO narrative_streams (session_id, stream_id) VALUES ('s', 'BODY_KNOWLEDGE')"
    )
    conn.commit()
    conn.close()
    before = dump(db)
    with pytest.raises(MIGRATE.Refused, match="narrative_streams already hold rows"):
        MIGRATE.migrate(db)
    assert dump(db) == before


def test_a_report_that_does_not_balance_fails_the_run(
    messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(messy)
    counts = [
        (s, f, "SELECT 999" if (s, f) == ("evidence_log", "read") else sql)
        for s, f, sql in MIGRATE.COUNTS
    ]
    monkeypatch.setattr(MIGRATE, "COUNTS", tuple(counts))
    with pytest.raises(
        MIGRATE.Refused, match="evidence_log: read 999 != migrated 6 \\+ quarantined 9"
    ):
        MIGRATE.migrate(messy)
    assert dump(messy) == before


def _with_statement_after(step: str, sql: str) -> tuple:
    return tuple(
        (title, slug, (*statements, sql) if title == step else statements)
        for title, slug, statements in MIGRATE.STEPS
    )


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(
            (
                "STEPS",
                "insert streams",
                "UPDATE narrative_streams SET coherence = 2.0 WHERE id = 1",
            ),
            id="a written value",
        ),
        pytest.param(
            ("STEPS", "lookup tables", "UPDATE _qm_state SET name = '' WHERE part = 1"),
            id="a state's name (verified on the lookup the states copy)",
        ),
        pytest.param(
            ("STEPS", "insert fragments", "UPDATE antenarrative_fragments SET type = 'rumour'"),
            id="every fragment",
        ),
        pytest.param(
            (
                "SCHEMA",
                '"story_vitality" REAL NOT NULL DEFAULT 0.0',
                '"story_vitality" REAL NOT NULL DEFAULT 7.0',
            ),
            id="an added column's default",
        ),
    ],
)
def test_a_row_that_breaks_a_check_fails_the_run(
    messy: Path, monkeypatch: pytest.MonkeyPatch, broken: tuple[str, str, str]
) -> None:
    """CHECKs are off while the data goes in; the verification before commit finds what slipped."""
    where, old, new = broken
    if where == "STEPS":
        monkeypatch.setattr(MIGRATE, "STEPS", _with_statement_after(old, new))
    else:
        schema = tuple((sql.replace(old, new), *rest) for sql, *rest in MIGRATE.SCHEMA)
        assert schema != MIGRATE.SCHEMA
        monkeypatch.setattr(MIGRATE, "SCHEMA", schema)
    before = dump(messy)
    with pytest.raises(MIGRATE.Refused, match=r"rows that break a CHECK constraint .*\): [1-9]"):
        MIGRATE.migrate(messy)
    assert dump(messy) == before


@pytest.mark.parametrize(
    ("sql", "check"),
    [
        pytest.param(
            "UPDATE quantum_states SET probability = 0.2 WHERE id = 1",
            "streams whose states do not sum to 1",
            id="a state's probability",
        ),
        pytest.param(
            "DELETE FROM quantum_states WHERE stream_id = (SELECT max(id) FROM narrative_streams)",
            "streams whose states do not sum to 1",
            id="a stream without states",
        ),
        pytest.param(
            "UPDATE quantum_states SET stream_id = 999999 WHERE id = 1",
            "rows whose parent row is missing",
            id="a state without its stream",
        ),
        pytest.param(
            "UPDATE antenarrative_fragments SET stream_id = 999999 WHERE id = 1",
            "rows whose parent row is missing",
            id="a fragment without its stream",
        ),
    ],
)
def test_a_broken_invariant_fails_the_run(
    messy: Path, monkeypatch: pytest.MonkeyPatch, sql: str, check: str
) -> None:
    """The checks before commit find what the steps got wrong, and nothing is committed."""
    monkeypatch.setattr(MIGRATE, "STEPS", _with_statement_after("insert fragments", sql))
    before = dump(messy)
    with pytest.raises(MIGRATE.Refused, match=rf"{re.escape(check)}[^;]*: [1-9]"):
        MIGRATE.migrate(messy)
    assert dump(messy) == before


def test_the_states_columns_hold_their_checks_by_construction(messy: Path) -> None:
    """The states' CHECKs not verified row by row after the bulk insert hold by construction:
    the evolution's two pieces come from SQLite's JSON functions, and together they are byte
    for byte what json_array(json_object('time', t, 'probability', p)) writes; the name and
    probability are copies of the lookup rows that the verification reads."""
    (states,) = [
        sql
        for title, _, sqls in MIGRATE.STEPS
        if title == "insert states"
        for sql in sqls
        if "INSERT" in sql
    ]
    assert "q.snapshot_head || l.snapshot_tail" in states
    # and the name and probability are the lookup's, whose rows the CHECK verification reads
    assert re.search(r"SELECT\s+ns\.\"id\",\s+l\.name,\s+l\.probability,", states)
    (check,) = [sql for what, sql in MIGRATE.CHECKS if "CHECK constraint" in what]
    assert '"evolution"' not in check and '"evidence_threads"' in check
    assert 'FROM (SELECT name AS "state", probability AS "probability" FROM _qm_state)' in check
    MIGRATE.migrate(messy)
    rows = query(
        messy,
        "SELECT s.created_at, qs.probability, qs.evolution FROM quantum_states AS qs"
        " JOIN narrative_streams AS ns ON ns.id = qs.stream_id JOIN sessions AS s ON s.id = ns.session_id",
    )
    assert len(rows) > 10 and any(t is None for t, _, _ in rows) and any(t for t, _, _ in rows)
    conn = sqlite3.connect(":memory:")
    for created_at, probability, evolution in rows:
        time = created_at and created_at.replace(" ", "T") + "Z"
        (expected,) = conn.execute(
            "SELECT json_array(json_object('time', ?, 'probability', ?))", (time, probability)
        ).fetchone()
        assert evolution == expected
        assert json.loads(evolution) == [{"time": time, "probability": probability}]
    conn.close()


# -- SIGKILL at any moment -------------------------------------------------------------------------

PAUSES = [
    "locked",
    "backed-up",
    "schema",
    "classify-dimension-entries",
    "insert-states",
    "quarantine",
    "indexes",
    "recorded",
]


def _start(
    db: Path, *args: str, pause: str | None = None, script: Path = SCRIPT
) -> subprocess.Popen[bytes]:
    env = {**os.environ, MIGRATE.PAUSE_ENV: pause} if pause else None
    return subprocess.Popen(
        [sys.executable, str(script), str(db), *args], stderr=subprocess.PIPE, env=env
    )


def _wait_for(proc: subprocess.Popen[bytes], marker: str, timeout: float = 20.0) -> None:
    """Read the run's stderr until `marker` (raw reads: a buffered readline could swallow it)."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        if time.monotonic() > deadline or not selector.select(deadline - time.monotonic()):
            proc.kill()
            pytest.fail(f"no {marker!r} from the run; it said:\n{seen.decode()}")
        chunk = os.read(fd, 65536)
        if not chunk:
            pytest.fail(f"the run ended before {marker!r}:\n{seen.decode()}")
        seen += chunk


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


@pytest.fixture(scope="module")
def kill_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], dict]:
    """A clean legacy database, its dump, and its content once migrated without interruption."""
    folder = tmp_path_factory.mktemp("kill")
    db = clean_db(folder / "legacy.db", 300)
    migrated = folder / "migrated.db"
    migrated.write_bytes(db.read_bytes())
    MIGRATE.migrate(migrated)
    return db, dump(db), content(migrated)


def _assert_old_or_migrated(db: Path, original: list[str], migrated: dict) -> str:
    assert integrity(db) == ["ok"]
    recorded = "SELECT count(*) FROM sqlite_schema WHERE name = 'codegen_legacy_migration'"
    if query(db, recorded)[0][0]:
        assert content(db) == migrated
        return "migrated"
    assert dump(db) == original
    return "old"


@pytest.mark.parametrize("pause", [*PAUSES, "committed"])
def test_sigkill_at_each_phase_leaves_the_old_or_the_migrated_database(
    pause: str, kill_reference: tuple[Path, list[str], dict], tmp_path: Path
) -> None:
    legacy, original, migrated = kill_reference
    db = tmp_path / "db.db"
    db.write_bytes(legacy.read_bytes())
    proc = _start(db, "--backup", str(tmp_path / "backup.db"), pause=pause)
    _wait_for(proc, f"paused at {pause}")
    _kill(proc)
    assert _assert_old_or_migrated(db, original, migrated) == (
        "migrated" if pause == "committed" else "old"
    )
    # and the next run goes through (a new backup path: the killed run's may exist)
    assert run(str(db), "--backup", str(tmp_path / "again.db")).returncode == 0
    assert content(db) == migrated


def test_sigkill_after_random_delays(tmp_path: Path) -> None:
    """Kills at moments nobody chose, inside the work (after the interpreter has started)."""
    legacy = clean_db(tmp_path / "legacy.db", 4000)
    original = dump(legacy)
    migrated_db = tmp_path / "migrated.db"
    migrated_db.write_bytes(legacy.read_bytes())
    start = time.perf_counter()
    assert run(str(migrated_db), "--no-backup").returncode == 0
    duration = time.perf_counter() - start
    migrated = content(migrated_db)
    start = time.perf_counter()
    run(str(tmp_path / "missing.db"))  # what the interpreter and the imports take
    startup = time.perf_counter() - start
    outcomes = []
    for seed in range(5):
        db = tmp_path / f"db{seed}.db"
        db.write_bytes(legacy.read_bytes())
        proc = _start(db, "--no-backup")
        time.sleep(random.Random(seed).uniform(startup, duration))
        _kill(proc)
        outcomes.append(_assert_old_or_migrated(db, original, migrated))
        db.unlink()
    assert set(outcomes) <= {"old", "migrated"}


@pytest.mark.parametrize("pause", ["verified", "restored"])
def test_sigkill_during_rollback_leaves_the_migrated_or_the_restored_database(
    pause: str, kill_reference: tuple[Path, list[str], dict], tmp_path: Path
) -> None:
    legacy, original, migrated = kill_reference
    db, backup = tmp_path / "db.db", tmp_path / "backup.db"
    db.write_bytes(legacy.read_bytes())
    MIGRATE.migrate(db, backup=backup)
    proc = _start(db, str(backup), pause=pause, script=ROLLBACK)
    _wait_for(proc, f"paused at {pause}")
    _kill(proc)
    assert _assert_old_or_migrated(db, original, migrated) == (
        "migrated" if pause == "verified" else "old"
    )


# -- conservation, for any mix of legacy rows ----------------------------------------------------

_texts = st.one_of(
    st.none(),
    st.just(""),
    st.just("  "),
    st.text(max_size=12),
    st.sampled_from(["contextual", "HL", "x'y", "🧬"]),
)
_values = st.one_of(
    st.none(), st.integers(-3, 9), st.floats(-2, 7, allow_nan=False), st.booleans(),
    st.sampled_from(["HIGH", "medium", " low ", "4", " 2.5 ", "", "sure", "[1]"]),
)  # fmt: skip
_entry = st.one_of(
    st.fixed_dictionaries({}, optional={"score": _values, "confidence": _values}),
    _values,
)
_codes = st.sampled_from(["HL", "CM", "DI", "DL", "PR", "hl", " PR ", "XX", ""])
_dimensions = st.one_of(
    st.none(), st.just(""), st.just("{not json"), st.just("[1]"),
    st.dictionaries(_codes, _entry, max_size=6).map(json.dumps),
)  # fmt: skip
_times = st.one_of(
    st.none(), st.just(""), st.sampled_from(["2024-03-01 10:00:00", "2024-03-01T10:00:00Z", "01/03/2024", "2023-02-29", "soon"]),
    st.integers(0, 2_000_000_000),
)  # fmt: skip
_ids = st.sampled_from(["a", "b", "c", "d", ""])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sessions=st.lists(st.tuples(_ids, st.sampled_from(["u", ""]), _times, _texts, _dimensions), max_size=5, unique_by=lambda s: s[0]),
    evidence=st.lists(st.tuples(st.one_of(st.none(), _ids, st.just("zz")), st.one_of(st.none(), _codes), _texts, _texts, _times), max_size=8),
)  # fmt: skip
def test_migration_conserves_every_legacy_row(
    tmp_path: Path, sessions: list[tuple], evidence: list[tuple]
) -> None:
    db = tmp_path / f"prop-{time.monotonic_ns()}.db"
    legacy_db(db, sessions, evidence)
    report = MIGRATE.migrate(db)
    for row in report["sources"]:
        assert row["balanced"], report
    assert report["sources"][2]["read"] == len(evidence)
    assert all(c["violations"] == 0 for c in report["checks"]), report["checks"]
    fragments = query(db, "SELECT count(*) FROM antenarrative_fragments")[0][0]
    quarantined = query(
        db,
        "SELECT count(DISTINCT source_row_id) FROM legacy_quarantine WHERE source_table = 'evidence_log'",
    )[0][0]
    assert fragments + quarantined == len(evidence)
    db.unlink()


# -- the generator side --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec():
    return parse_file(ROOT / "spec" / "narrative-streams.ts", "spec/narrative-streams.ts")


def _load_mapping(spec, text: str) -> legacy.Mapping:
    return legacy.load(json.loads(text), spec, "spec/legacy-mapping.json", text)


def test_the_mapping_file_is_valid(spec) -> None:
    mapping = _load_mapping(spec, MAPPING_FILE.read_text())
    assert next((d.code, d.stream) for d in mapping.dimensions) == ("HL", "BODY_KNOWLEDGE")
    assert mapping.inputs["confidence"].words == (("HIGH", 4.0), ("MEDIUM", 2.5), ("LOW", 1.0))


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            '"stream": "BODY_KNOWLEDGE"',
            '"stream": "BODY"',
            '"BODY"',
            "'BODY' is not a stream kind of the spec",
        ),
        (
            '"default_type": "speculation"',
            '"default_type": "guess"',
            '"guess"',
            "'guess' is not a fragment type",
        ),
        ('"probability": 0.7', '"probability": 1.7', "1.7", "probability must be in (0, 1]"),
        ('"%d/%m/%Y %H:%M:%S"', '"%d/%m/%Y %I"', '"%d/%m/%Y %I"', "unknown directive '%I'"),
        (
            '"divide_by": 5, "subtract_from_one": true',
            '"divide_by": 0, "subtract_from_one": true',
            '0, "subtract_from_one": true',
            "divide_by must not be 0",
        ),
        ('"HIGH": 4.0', '"HIGH": "four"', '"four"', "must be a number"),
        (
            '"tables": ["evidence_log", "legacy_quarantine"]',
            '"tables": ["evidence_log"]',
            '["evidence_log"]',
            "must list 'legacy_quarantine'",
        ),
        (
            '"default_database"',
            '"default_databse"',
            '"default_databse"',
            "unknown key 'default_databse'",
        ),
    ],
)
def test_a_bad_mapping_is_an_error_at_its_place(
    spec, old: str, new: str, needle: str, message: str
) -> None:
    text = MAPPING_FILE.read_text()
    assert old in text
    bad = text.replace(old, new, 1)
    with pytest.raises(CodegenError) as caught:
        _load_mapping(spec, bad)
    diagnostics = [d for d in caught.value.diagnostics if message in d.message]
    assert diagnostics, [str(d) for d in caught.value.diagnostics]
    offset = bad.index(needle)
    line = bad.count("\n", 0, offset) + 1
    col = offset - bad.rfind("\n", 0, offset)
    assert str(diagnostics[0]).startswith(f"spec/legacy-mapping.json:{line}:{col}: ")


def test_every_problem_is_reported_at_once(spec) -> None:
    data = json.loads(MAPPING_FILE.read_text())
    broken = copy.deepcopy(data)
    broken["dimensions"]["HL"]["stream"] = "NOPE"
    broken["states"]["levels"][0]["probability"] = -1
    broken["fragments"]["types"]["contextual"] = "memo"
    with pytest.raises(CodegenError) as caught:
        legacy.load(broken, spec, "m.json")
    assert len(caught.value.diagnostics) == 3


def test_no_mapping_no_migration_files(spec) -> None:
    assert migration.render(spec, Context(source="spec/narrative-streams.ts")) == {}


def test_the_checksum_follows_the_rules(spec) -> None:
    text = MAPPING_FILE.read_text()
    ctx = Context(
        source="spec/narrative-streams.ts", legacy=json.loads(text), extra={"legacy_text": text}
    )
    changed = text.replace('"HIGH": 4.0', '"HIGH": 4.5')
    ctx2 = Context(
        source="spec/narrative-streams.ts",
        legacy=json.loads(changed),
        extra={"legacy_text": changed},
    )

    def checksum(c: Context) -> str:
        script = migration.render(spec, c)["migrate_to_quantum.py"]
        return next(line for line in script.splitlines() if line.startswith("CHECKSUM = "))

    assert checksum(ctx) == checksum(ctx)
    assert checksum(ctx) != checksum(ctx2)


def _project(tmp_path: Path) -> Path:
    """A copy of the project's inputs and committed outputs."""
    for name in ("spec", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _codegen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_bad_mapping_fails_the_build_with_file_line_col(tmp_path: Path) -> None:
    project = _project(tmp_path)
    mapping = project / "spec" / "legacy-mapping.json"
    text = mapping.read_text().replace('"stream": "DATA_SYNTHESIS"', '"stream": "DATA"', 1)
    mapping.write_text(text)
    offset = text.index('"DATA"')
    line, col = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
    before = (project / "generated" / "migrate_to_quantum.py").read_bytes()
    proc = _codegen(project, "build")
    assert proc.returncode == 2
    assert f"spec/legacy-mapping.json:{line}:{col}: 'DATA' is not a stream kind" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (project / "generated" / "migrate_to_quantum.py").read_bytes() == before


def test_the_script_does_not_change_when_the_spec_moves_on(tmp_path: Path) -> None:
    """Migration 1 is rendered from its own snapshot: a later spec change is migration 2."""
    project = _project(tmp_path)
    script = project / "generated" / "migrate_to_quantum.py"
    before = script.read_bytes()
    source = project / "spec" / "narrative-streams.ts"
    source.write_text(
        source.read_text().replace(
            "  /** The session's transcript. */\n",
            "  /** A note. */\n  note?: string | null;\n  /** The session's transcript. */\n",
        )
    )
    proc = _codegen(project, "build")
    assert proc.returncode == 0, proc.stderr
    assert script.read_bytes() == before
    assert sorted(p.name for p in (project / "generated" / "migrations").glob("0002_*"))
