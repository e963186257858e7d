"""The generated legacy migration beside a row-by-row baseline, on the same clean data.

Builds a clean Phase 5 database of N sessions (5 dimensions each, 3 evidence rows each),
then, in the same run and each in a fresh process on its own copy of that database:

- generated/migrate_to_quantum.py, as an operator runs it (backup, verified, then migrate);
- a baseline that works the way the phase document's script does: default connection,
  backup call, the whole schema first, fetch every session, then one INSERT per stream and
  per state from Python, then fetch every evidence row, one SELECT and one INSERT each, one
  commit; same schema and the same output rows (two states per stream, so that the sum
  trigger accepts them), on clean data so that its lack of checks costs it nothing.

Prints wall time, legacy rows per second and peak RSS (the child's own ru_maxrss, from
wait4) for each. Targets at 100,000 sessions: at least 3x faster than the baseline, peak RSS
under 64 MB, and no higher at 400,000. Not a test: nothing here asserts a time.

    python benchmarks/bench_migration.py [--n 100000 400000] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "generated" / "migrate_to_quantum.py"
LEGACY_DDL = (ROOT / "tests" / "data" / "legacy_schema.sql").read_text()
EVIDENCE_PER_SESSION = 3


def build_legacy(path: Path, n: int) -> None:
    """A clean legacy database of n sessions, generated inside SQLite (fast and flat)."""
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_DDL)
    conn.execute(
        """
        WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < ?)
        INSERT INTO sessions (id, user_id, created_at, transcript, dimensions)
        SELECT
            printf('session-%07d', k),
            printf('user-%04d', k % 5000),
            datetime('2024-01-01', printf('+%d minutes', k)),
            printf('Transcript of session %d: what I know about my body.', k),
            json_object(
                'HL', json_object('score', k % 6, 'confidence', (k + 1) % 6),
                'CM', json_object('score', (k % 11) / 2.0, 'confidence', (k + 2) % 6),
                'DI', json_object('score', (k + 3) % 6, 'confidence', (k + 3) % 6),
                'DL', json_object('score', (k + 4) % 6, 'confidence', (k % 9) / 2.0),
                'PR', json_object('score', (k + 5) % 6, 'confidence', (k + 5) % 6)
            )
        FROM i
        """,
        (n,),
    )
    conn.execute(
        """
        WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < ? - 1)
        INSERT INTO evidence_log (session_id, dimension, type, summary, timestamp)
        SELECT
            printf('session-%07d', k / ? + 1),
            CASE k % 5 WHEN 0 THEN 'HL' WHEN 1 THEN 'CM' WHEN 2 THEN 'DI' WHEN 3 THEN 'DL' ELSE 'PR' END,
            CASE k % 2 WHEN 0 THEN 'contextual' ELSE 'inferred' END,
            printf('Evidence %d: I started tracking my sleep after the doctor said so.', k),
            datetime('2024-01-01', printf('+%d minutes', k / ? + 1), printf('+%d seconds', k % 60))
        FROM i
        """,
        (n * EVIDENCE_PER_SESSION, EVIDENCE_PER_SESSION, EVIDENCE_PER_SESSION),
    )
    conn.commit()
    conn.close()


# -- the baseline: the phase document's shape, row by row from Python -------------------------

STREAMS = {"HL": "BODY_KNOWLEDGE", "CM": "BIOMARKER_MYTHOLOGY", "DI": "DATA_SYNTHESIS",
           "DL": "TECHNOLOGY_RELATIONSHIP", "PR": "FUTURE_HEALTH_IMAGINARY"}  # fmt: skip
WORDS = {"HIGH": 4.0, "MEDIUM": 2.5, "LOW": 1.0}


def _number(value: object) -> float:
    if isinstance(value, str):
        return WORDS.get(value.strip().upper()) or float(value)
    return float(value or 0)


def baseline(db: str) -> None:
    """The document's migrate_database(), on our schema, with its crashes mended."""
    sys.path.insert(0, str(SCRIPT.parent))
    import migrate_to_quantum as generated  # only for the schema statements and pragmas

    conn = sqlite3.connect(db, isolation_level=None)  # the document's connection: default settings
    backup = sqlite3.connect(db + ".baseline-backup")
    conn.backup(backup)
    backup.close()
    cursor = conn.cursor()
    cursor.execute("BEGIN")
    generated._apply_schema(
        conn, after_data=False
    )  # the whole schema first, as the document runs it
    generated._apply_schema(conn, after_data=True)
    cursor.execute("SELECT id, user_id, created_at, transcript, dimensions FROM sessions")
    sessions = cursor.fetchall()
    for session_id, _user, created_at, _transcript, dimensions_json in sessions:
        dimensions = json.loads(dimensions_json) if dimensions_json else {}
        for code, stream in STREAMS.items():
            if code not in dimensions:
                continue
            confidence = _number(dimensions[code].get("confidence", 0))
            score = _number(dimensions[code].get("score", 0))
            cursor.execute(
                "INSERT INTO narrative_streams (session_id, stream_id, coherence, fluidity, authenticity)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, stream, min(max(confidence / 5, 0), 1), min(max(1 - score / 5, 0), 1),
                 min(max(confidence / 5, 0), 1)),
            )  # fmt: skip
            stream_db_id = cursor.lastrowid
            title = stream.replace("_", " ").title()
            name, p = (
                ("Advanced", 0.7)
                if score >= 4
                else ("Developing", 0.6)
                if score >= 2.5
                else ("Emerging", 0.5)
            )
            for state, probability in (
                (f"{name} {title}", p),
                (f"Unresolved {title}", round(1 - p, 12)),
            ):
                cursor.execute(
                    "INSERT INTO quantum_states (stream_id, state, probability, evidence_threads, evolution)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (stream_db_id, state, probability, "[]",
                     json.dumps([{"time": created_at, "probability": probability}])),
                )  # fmt: skip
    cursor.execute("SELECT id, session_id, dimension, type, summary, timestamp FROM evidence_log")
    for _id, session_id, dimension, evidence_type, summary, timestamp in cursor.fetchall():
        cursor.execute(
            "SELECT id FROM narrative_streams WHERE session_id = ? AND stream_id = ?",
            (session_id, STREAMS.get(dimension)),
        )
        row = cursor.fetchone()
        if row:
            fragment_type = "memory" if evidence_type == "contextual" else "speculation"
            cursor.execute(
                "INSERT INTO antenarrative_fragments (stream_id, text, type, tensions, possible_endings, timestamp)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (row[0], summary, fragment_type, "[]", "[]", timestamp),
            )
    cursor.execute("COMMIT")
    conn.close()


# -- measuring -------------------------------------------------------------------------------


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one fresh child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()}")
    return elapsed, usage.ru_maxrss * 1024  # Linux reports KiB


def counts(db: Path) -> tuple[int, ...]:
    conn = sqlite3.connect(db)
    tables = ("narrative_streams", "quantum_states", "antenarrative_fragments")
    out = tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, nargs="+", default=[100_000, 400_000], help="session counts"
    )
    parser.add_argument(
        "--baseline", metavar="DB", help=argparse.SUPPRESS
    )  # the child's entry point
    parser.add_argument(
        "--tmp", type=Path, default=None, help="work folder (default: a temporary one)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="runs of each, interleaved; the median is shown, with the range (default: 1)",
    )
    args = parser.parse_args()
    if args.baseline:
        baseline(args.baseline)
        return
    rows = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        work = Path(tmp)
        for n in args.n:
            template = work / f"legacy-{n}.db"
            build_legacy(template, n)
            legacy_rows = n * (1 + EVIDENCE_PER_SESSION)
            size = template.stat().st_size
            runs = {
                "generated migration": [
                    sys.executable,
                    str(SCRIPT),
                    "{db}",
                    "--backup",
                    "{db}.backup",
                ],
                "row-by-row baseline": [sys.executable, __file__, "--baseline", "{db}"],
            }
            results: dict[str, list[tuple[float, int]]] = {label: [] for label in runs}
            produced = {}
            for _ in range(args.repeat):  # interleaved, so that a slow spell hits both
                for label, cmd in runs.items():
                    db = work / f"{label.split()[0]}-{n}.db"
                    shutil.copy(template, db)
                    os.sync()  # the copy and the last run's deleted files on disk, not in the run's way
                    results[label].append(measure([part.format(db=db) for part in cmd]))
                    produced[label] = counts(db)
                    for leftover in work.glob(f"{db.name}*"):
                        leftover.unlink()
            ours, base = produced["generated migration"], produced["row-by-row baseline"]
            assert ours == base, f"the two runs produced different row counts: {ours} vs {base}"
            base_median = statistics.median(t for t, _ in results["row-by-row baseline"])
            for label, runs_of_label in results.items():
                times = [t for t, _ in runs_of_label]
                median = statistics.median(times)
                rss = max(r for _, r in runs_of_label)
                rows.append(
                    (
                        n,
                        size,
                        label,
                        median,
                        min(times),
                        max(times),
                        legacy_rows / median,
                        rss,
                        base_median / median,
                    )
                )
            template.unlink()
    spread = args.repeat > 1
    print(
        f"{'sessions':>9} {'db MB':>6}  {'run':22} {'wall s':>7}"
        + (f" {'range s':>13}" if spread else "")
        + f" {'rows/s':>10} {'peak RSS MB':>12} {'speed-up':>9}"
    )
    for n, size, label, seconds, low, high, rate, rss, speedup in rows:
        print(
            f"{n:>9,} {size / 1e6:>6.0f}  {label:22} {seconds:>7.2f}"
            + (f" {f'{low:.2f}-{high:.2f}':>13}" if spread else "")
            + f" {rate:>10,.0f} {rss / 2**20:>12.1f} {speedup:>8.1f}x"
        )
    if spread:
        print(f"(median of {args.repeat} interleaved runs each; peak RSS: the highest)")
    print(
        f"(legacy rows = sessions + evidence rows; {EVIDENCE_PER_SESSION} evidence rows and 5 dimensions per session;"
    )
    print(" targets at 100,000: speed-up >= 3x, peak RSS < 64 MB, and no higher at 400,000)")


if __name__ == "__main__":
    main()
