"""Schema evolution: change a type, build writes the next migration, migrate applies it.

Each test starts a project in a temporary folder from the real spec (without the legacy
mapping, so migration 1 creates the schema), fills a database, changes the TypeScript, and
checks that the data survives and that the migrated schema equals a fresh build's.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from codegen import migrate
from codegen.__main__ import main
from codegen.parse_ts import parse_file

ROOT = Path(__file__).resolve().parent.parent
TS = "spec/narrative-streams.ts"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "spec").mkdir()
    shutil.copy(ROOT / TS, tmp_path / TS)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codegen]\nsource = "spec/narrative-streams.ts"\nout = "generated"\nlegacy = "none.json"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-q"]) == 0
    return tmp_path


def edit(project: Path, old: str, new: str) -> None:
    path = project / TS
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def steps(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "generated" / "migrations").glob("*.sql"))


@pytest.fixture
def db(project: Path) -> Path:
    """A database at the current version holding a full session, fragments and resonances."""
    path = project / "app.db"
    sqlite3.connect(path).close()
    assert main(["migrate", str(path), "-q"]) == 0
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(
        "INSERT INTO sessions (id, user_id, transcript) VALUES ('s1', 'u1', 'it''s mine ✨')"
    )
    conn.execute(
        "INSERT INTO narrative_streams (id, session_id, stream_id, coherence) VALUES (7, 's1', 'BODY_KNOWLEDGE', 0.5)"
    )
    for i, kind in enumerate(["memory", "fear", "bet"], start=1):
        conn.execute(
            "INSERT INTO antenarrative_fragments (id, stream_id, text, type, tensions) VALUES (?, 7, ?, ?, '[\"x\"]')",
            (i, f"words {i} — «ok»", kind),
        )
        conn.execute(
            "INSERT INTO yama_resonances (fragment_id, principle, resonance) VALUES (?, 'Satya', 'tension')",
            (i,),
        )
    conn.execute(
        "INSERT INTO quantum_states (stream_id, state, probability) VALUES (7, 'A', 0.6), (7, 'B', 0.4)"
    )
    conn.commit()
    conn.close()
    return path


def rows(path: Path, table: str, columns: str = "*") -> list[tuple] | list[dict]:
    """The table's rows: tuples of `columns`, or with "*" dicts by column name (a rebuilt table
    puts a column added by ALTER TABLE where the spec declares it, as a fresh build does)."""
    conn = sqlite3.connect(path)
    try:
        cursor = conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1")
        if columns != "*":
            return cursor.fetchall()
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        conn.close()


def copy_real_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository's spec, legacy mapping, outputs and history, to change freely."""
    for name in ("spec", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    monkeypatch.chdir(tmp_path)


def assert_matches_fresh_build(project: Path, path: Path) -> None:
    spec = parse_file(project / TS)
    conn = sqlite3.connect(path)
    live = migrate.describe(conn)
    conn.close()
    assert migrate.differences(live, migrate.expected_schema(spec), ignore_tables=set()) == []


def test_adding_a_literal_rebuilds_the_table_and_keeps_every_row(project: Path, db: Path) -> None:
    fragments, resonances = rows(db, "antenarrative_fragments"), rows(db, "yama_resonances")
    edit(project, "  | 'turning_point';", "  | 'turning_point'\n  | 'dream';")
    assert main(["build", "-q"]) == 0
    [_, second] = steps(project)
    sql = (project / "generated" / "migrations" / second).read_text()
    assert "codegen:foreign-keys off" in sql and 'DROP TABLE "antenarrative_fragments"' in sql
    assert main(["check", "-q"]) == 0
    assert main(["migrate", str(db), "-q"]) == 0
    assert rows(db, "antenarrative_fragments") == fragments  # same ids, same values
    assert rows(db, "yama_resonances") == resonances  # children of the rebuilt table survive
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(
        "INSERT INTO antenarrative_fragments (stream_id, text, type) VALUES (7, 'a dream', 'dream')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO antenarrative_fragments (stream_id, text, type) VALUES (7, 'x', 'nightmare')"
        )
    conn.commit()
    # ids keep growing after the rebuild (AUTOINCREMENT's high-water mark was carried over)
    assert conn.execute("SELECT MAX(id) FROM antenarrative_fragments").fetchone() == (4,)
    conn.execute("DELETE FROM sessions")  # cascades still reach the rebuilt table's rows
    assert conn.execute("SELECT COUNT(*) FROM yama_resonances").fetchone() == (0,)
    conn.close()
    assert_matches_fresh_build(project, db)


def test_a_second_migrate_is_a_no_op(
    project: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = "\n".join(sqlite3.connect(db).iterdump())
    assert main(["migrate", str(db)]) == 0
    assert "0 applied now" in capsys.readouterr().out
    assert "\n".join(sqlite3.connect(db).iterdump()) == before


def test_a_doc_change_is_no_migration(project: Path, db: Path) -> None:
    """A doc comment changes the models' docs, not the database: no step, and check is clean."""
    edit(
        project,
        "   * The user's exact words.",
        "   * The user's exact words, kept as they were said.",
    )
    assert main(["build", "-q"]) == 0
    assert sorted(p.name for p in (project / "generated" / "migrations").glob("*.sql")) == [
        "0001_initial.sql"
    ]
    assert "kept as they were said" in (project / "generated" / "schemas.py").read_text()
    assert main(["check", "-q"]) == 0
    assert main(["migrate", str(db), "-q"]) == 0


def test_an_optional_field_is_added_by_add_column(project: Path, db: Path) -> None:
    edit(
        project,
        "  user_stance: UserStance;\n",
        "  user_stance: UserStance;\n  /** Why. */\n  stance_reason?: string | null;\n",
    )
    edit(
        project,
        "  emotional_tone?: string | null;\n",
        '  emotional_tone?: string | null;\n  /** Mood. @default "calm" */\n  mood?: string;\n',
    )
    assert main(["build", "-q"]) == 0
    sql = (project / "generated" / "migrations" / steps(project)[-1]).read_text()
    assert 'ALTER TABLE "grand_narratives" ADD COLUMN "stance_reason" TEXT;' in sql
    assert "ADD COLUMN \"mood\" TEXT NOT NULL DEFAULT 'calm'" in sql
    assert "foreign-keys off" not in sql and "DROP TABLE" not in sql
    assert main(["migrate", str(db), "-q"]) == 0
    assert rows(db, "antenarrative_fragments", "id, mood") == [
        (1, "calm"),
        (2, "calm"),
        (3, "calm"),
    ]
    assert_matches_fresh_build(project, db)


def test_a_required_field_without_default_is_refused_with_a_hint(project: Path, capsys) -> None:
    edit(
        project,
        "  user_stance: UserStance;\n",
        "  user_stance: UserStance;\n  /** Why. */\n  stance_reason: string;\n",
    )
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "new required column 'grand_narratives.stance_reason' has no default" in err
    assert "add `@default" in err
    assert len(steps(project)) == 1


def test_removing_a_field_is_refused_until_acknowledged(project: Path, db: Path, capsys) -> None:
    edit(
        project,
        "  /** The feeling carried: joy, fear, curiosity, resistance, hope, ... */\n  emotional_tone?: string | null;\n",
        "",
    )
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "removing 'antenarrative_fragments.emotional_tone' deletes that data" in err
    assert "--allow-data-loss" in err
    assert main(["build", "-q", "--allow-data-loss"]) == 0
    assert main(["migrate", str(db), "-q"]) == 0
    assert rows(db, "antenarrative_fragments", "id, text") == [
        (1, "words 1 — «ok»"),
        (2, "words 2 — «ok»"),
        (3, "words 3 — «ok»"),
    ]
    assert len(rows(db, "yama_resonances")) == 3
    assert_matches_fresh_build(project, db)


def test_a_remove_plus_add_is_refused_as_a_probable_rename(project: Path, capsys) -> None:
    edit(project, "  emotional_tone?: string | null;", "  tone?: string | null;")
    assert main(["build"]) == 2
    assert "a rename? Tag the field `@renamedFrom emotional_tone`" in capsys.readouterr().err


def test_a_tagged_rename_keeps_the_data(project: Path, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE antenarrative_fragments SET emotional_tone = 'hope'")
    conn.commit()
    conn.close()
    edit(
        project,
        "  emotional_tone?: string | null;",
        "  /** @renamedFrom emotional_tone */\n  tone?: string | null;",
    )
    assert main(["build", "-q"]) == 0
    assert main(["migrate", str(db), "-q"]) == 0
    assert rows(db, "antenarrative_fragments", "id, tone") == [
        (1, "hope"),
        (2, "hope"),
        (3, "hope"),
    ]
    assert_matches_fresh_build(project, db)


def test_rows_breaking_a_tightened_constraint_stop_the_migration(
    project: Path, db: Path, capsys
) -> None:
    before = "\n".join(sqlite3.connect(db).iterdump())
    edit(project, "  | 'bet'\n", "")  # fragments 3 is a 'bet'
    edit(
        project,
        "   * How well the fragments connect.\n   * @minimum 0\n   * @maximum 1",
        "   * How well the fragments connect.\n   * @minimum 0\n   * @maximum 0.25",
    )
    assert main(["build", "-q"]) == 0
    assert main(["migrate", str(db)]) == 1
    err = capsys.readouterr().err
    assert (
        "refused:" in err
        and "1 rows of antenarrative_fragments whose type the new CHECK refuses: 3" in err
    )
    assert (
        "1 rows of narrative_streams whose coherence the new CHECK refuses: 7" in err
    )  # all at once
    assert "\n".join(sqlite3.connect(db).iterdump()) == before  # nothing changed
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM antenarrative_fragments WHERE type = 'bet'")
    conn.execute("UPDATE narrative_streams SET coherence = 0.2")
    conn.commit()
    conn.close()
    assert main(["migrate", str(db), "-q"]) == 0
    assert_matches_fresh_build(project, db)


def test_a_new_table_and_a_new_index(project: Path, db: Path) -> None:
    edit(
        project,
        "  /**\n   * The discourses the user negotiates with in this stream.",
        "  /**\n   * Notes. @default [] @foreignKey stream_id @onDelete cascade\n   */\n  notes?: Note[];\n"
        "  /**\n   * The discourses the user negotiates with in this stream.",
    )
    (project / TS).write_text(
        (project / TS).read_text()
        + "\n/** A note. @table notes @index idx_notes_stream stream_id */\nexport interface Note {\n  /** Text. @index */\n  body: string;\n}\n"
    )
    assert main(["build", "-q"]) == 0
    sql = (project / "generated" / "migrations" / steps(project)[-1]).read_text()
    assert 'CREATE TABLE IF NOT EXISTS "notes"' in sql and "DROP TABLE" not in sql
    assert main(["migrate", str(db), "-q"]) == 0
    assert_matches_fresh_build(project, db)


def test_a_tampered_migration_is_caught_by_check_and_refused_by_migrate(
    project: Path, db: Path, capsys
) -> None:
    edit(project, "  | 'turning_point';", "  | 'turning_point'\n  | 'dream';")
    assert main(["build", "-q"]) == 0
    path = project / "generated" / "migrations" / steps(project)[-1]
    path.write_text(path.read_text().replace("'dream'", "'dreams'"))
    capsys.readouterr()
    assert main(["check"]) == 1
    assert "was edited after it was recorded" in capsys.readouterr().out
    assert main(["migrate", str(db)]) == 1
    assert "the migration history was edited" in capsys.readouterr().err
    assert main(["build"]) == 2  # the build will not paper over it either


def test_an_applied_migration_edited_later_is_refused(project: Path, db: Path, capsys) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE codegen_migrations SET checksum = 'abc'")
    conn.commit()
    conn.close()
    assert main(["migrate", str(db)]) == 1
    assert "was edited after it ran" in capsys.readouterr().err


def test_status_lists_applied_and_pending(project: Path, db: Path, capsys) -> None:
    edit(project, "  | 'turning_point';", "  | 'turning_point'\n  | 'dream';")
    assert main(["build", "-q"]) == 0
    capsys.readouterr()
    assert main(["status", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("applied  0001_initial")
    assert out[1].startswith("pending  0002_")
    assert out[-1] == "1 applied, 1 pending"


def test_diff_reports_a_column_added_by_hand(project: Path, db: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["diff", str(db)]) == 0
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE quantum_states ADD COLUMN hotfix TEXT")
    conn.execute("DROP INDEX idx_fragments_type")
    conn.commit()
    conn.close()
    assert main(["diff", str(db)]) == 1
    out = capsys.readouterr().out
    assert "quantum_states.hotfix: column in the database but not in the spec" in out
    assert "antenarrative_fragments: indexes differ" in out


def test_done_when_on_the_real_project_with_legacy_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 4's acceptance: legacy data migrated by migration 1, then a new fragment type."""
    copy_real_project(tmp_path, monkeypatch)
    db = tmp_path / "legacy.db"
    conn = sqlite3.connect(db)
    conn.executescript((ROOT / "tests" / "data" / "legacy_schema.sql").read_text())
    conn.execute(
        "INSERT INTO sessions (id, user_id, dimensions) VALUES "
        '(\'old-session\', \'user-1\', \'{"HL": {"score": 4, "confidence": "HIGH"}}\')'
    )
    conn.executemany(
        "INSERT INTO evidence_log (session_id, dimension, type, summary) VALUES ('old-session', ?, ?, ?)",
        [("HL", "contextual", "I walk every morning"), ("CM", "numeric", "my HbA1c is 5.4 — good")],
    )
    conn.commit()
    conn.close()
    assert main(["migrate", str(db), "--no-backup", "-q"]) == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    fragment_ids = [r[0] for r in conn.execute("SELECT id FROM antenarrative_fragments")]
    assert len(fragment_ids) == 2
    for fid in fragment_ids:
        conn.execute(
            "INSERT INTO yama_resonances (fragment_id, principle, resonance) VALUES (?, 'Ahimsa', 'exploration')",
            (fid,),
        )
    conn.commit()
    conn.close()
    fragments, resonances = rows(db, "antenarrative_fragments"), rows(db, "yama_resonances")

    edit(tmp_path, "  | 'turning_point';", "  | 'turning_point'\n  | 'dream';")
    assert main(["build", "-q"]) == 0
    assert main(["migrate", str(db), "-q"]) == 0
    assert rows(db, "antenarrative_fragments") == fragments
    assert rows(db, "yama_resonances") == resonances
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    stream = conn.execute("SELECT MIN(id) FROM narrative_streams").fetchone()[0]
    conn.execute(
        "INSERT INTO antenarrative_fragments (stream_id, text, type) VALUES (?, 'a dream', 'dream')",
        (stream,),
    )
    conn.commit()
    conn.close()
    assert main(["migrate", str(db), "-q"]) == 0  # nothing left to do
    assert main(["diff", str(db)]) == 0  # legacy leftovers are not drift


def test_a_database_made_by_apply_schema_is_at_the_latest_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from generated.database import apply_schema, connect

    db = tmp_path / "new.db"
    conn = connect(db)
    apply_schema(conn)
    apply_schema(conn)  # the second run records nothing twice
    conn.close()
    monkeypatch.chdir(ROOT)
    assert main(["migrate", str(db), "-q"]) == 0
    assert main(["status", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("0 pending")
    assert main(["diff", str(db)]) == 0


def test_one_migrate_runs_the_legacy_step_and_a_later_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server still on the legacy schema after a type change: both steps in one run."""
    copy_real_project(tmp_path, monkeypatch)
    edit(tmp_path, "  | 'turning_point';", "  | 'turning_point'\n  | 'dream';")
    assert main(["build", "-q"]) == 0
    db = tmp_path / "legacy.db"
    conn = sqlite3.connect(db)
    conn.executescript((ROOT / "tests" / "data" / "legacy_schema.sql").read_text())
    conn.execute(
        "INSERT INTO sessions (id, user_id, dimensions) VALUES ('s', 'u', '{\"HL\": {\"score\": 1}}')"
    )
    conn.execute(
        "INSERT INTO evidence_log (session_id, dimension, type, summary) VALUES ('s', 'HL', 'x', 'words')"
    )
    conn.commit()
    conn.close()
    assert main(["migrate", str(db), "--no-backup", "-q"]) == 0
    assert rows(db, "antenarrative_fragments", "text") == [("words",)]
    assert [r[0] for r in rows(db, "codegen_migrations", "name")][1].startswith("0002_")


@pytest.mark.parametrize("content", [b"garbage, not a database", None])
def test_unusable_databases_are_refused_without_a_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
) -> None:
    monkeypatch.chdir(ROOT)
    db = tmp_path / "x.db"
    if content is not None:
        db.write_bytes(content * 200)
    for command in ("migrate", "status", "diff"):
        assert main([command, str(db)]) == 1
        assert capsys.readouterr().err.startswith("refused: ")
