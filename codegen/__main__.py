"""Command line: `python -m codegen build | check | migrate | status | diff`.

The only module that prints or exits. Exit codes: 0 ok, 1 out of date / differences found /
refused with the database unchanged, 2 error in the input or the arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import sys
from pathlib import Path

from codegen import build, config, history, migrate
from codegen.errors import CodegenError, Diagnostic
from codegen.spec import Pos


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--source", metavar="FILE", help="TypeScript source (default: [tool.codegen] source)"
    )
    common.add_argument("--out", metavar="DIR", help="output folder (default: [tool.codegen] out)")
    common.add_argument("--legacy", metavar="FILE", help="legacy mapping data for the migration")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser = argparse.ArgumentParser(
        prog="codegen",
        description="Generate the SQLite schema, JSON Schema, Pydantic models, database helpers, "
        "migrations and ER diagram from TypeScript types.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser(
        "build",
        parents=[common],
        help="write the spec, every output and the next migration",
        description="Parse the TypeScript source, write the spec JSON and every output, and add the "
        "next migration when the spec changed. A failed build changes no file.",
    )
    b.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="acknowledge that the new migration drops a removed table or column with its data",
    )
    sub.add_parser(
        "check",
        parents=[common],
        help="exit 1 with a diff when anything committed is stale",
        description="Render in memory and compare with the files on disk: exit 0 when clean, "
        "1 with a unified diff when anything is stale, hand-edited, missing or extra (migrations "
        "included), 2 on error.",
    )
    m = sub.add_parser(
        "migrate",
        parents=[common],
        help="apply pending migrations to a database",
        description="Apply every pending migration to DB in order, each in its own transaction, "
        "recorded in the history table. Exit 1 (database unchanged) when refused.",
    )
    m.add_argument("db", metavar="DB", type=Path)
    backup = m.add_mutually_exclusive_group()
    backup.add_argument("--backup", metavar="PATH", help="backup file for the legacy migration")
    backup.add_argument(
        "--no-backup", action="store_true", help="skip the legacy migration's backup"
    )
    s = sub.add_parser("status", parents=[common], help="list applied and pending migrations",
                       description="List the migrations applied to DB and those pending.")  # fmt: skip
    s.add_argument("db", metavar="DB", type=Path)
    d = sub.add_parser(
        "diff",
        parents=[common],
        help="compare a live database with the spec",
        description="Compare DB's schema (SQLite introspection) with the current spec and print "
        "every difference: exit 1 when they differ, 0 when they match.",
    )
    d.add_argument("db", metavar="DB", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = config.load(Path.cwd(), args.source, args.out, args.legacy)
        outputs = build.generate(settings, allow_data_loss=getattr(args, "allow_data_loss", False))
        return COMMANDS[args.command](args, settings, outputs)
    except CodegenError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        n = len(exc.diagnostics)
        print(f"{n} error{'s' if n != 1 else ''}; nothing written.", file=sys.stderr)
        return 2
    except migrate.Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except sqlite3.OperationalError as exc:  # locked, read-only, disk full: nothing was committed
        print(f"refused: {exc}; the database is unchanged", file=sys.stderr)
        return 1


def _build(args: argparse.Namespace, settings: config.Settings, outputs: build.Outputs) -> int:
    if outputs.tampered:
        sums = settings.show(settings.out / history.FOLDER / history.SUM_FILE)
        hint = "restore the folder from version control, or delete step files a reverted change left behind"
        raise CodegenError([Diagnostic(Pos(sums, 1, 1), f"{p} ({hint})") for p in outputs.tampered])
    changed = build.write(settings, outputs)
    if not args.quiet:
        for path in changed:
            print(f"wrote {settings.show(path)}")
        if outputs.new_step is not None:
            print(f"new migration {outputs.new_step.name}")
        print(
            f"{len(outputs.files)} files from {settings.show(settings.source)}, {len(changed)} changed"
        )
    return 0


def _check(args: argparse.Namespace, settings: config.Settings, outputs: build.Outputs) -> int:
    diffs = build.diff(settings, outputs)
    if diffs:
        sys.stdout.write("".join(diffs))
        print(
            f"{len(diffs)} file(s) out of date; run `python -m codegen build` and commit.",
            file=sys.stderr,
        )
        return 1
    if not args.quiet:
        print(f"{len(outputs.files)} files up to date with {settings.show(settings.source)}")
    return 0


def _committed_steps(settings: config.Settings, outputs: build.Outputs) -> list[history.Step]:
    if outputs.tampered:
        raise migrate.Refused("the migration history was edited: " + "; ".join(outputs.tampered))
    if outputs.new_step is not None:
        raise migrate.Refused(
            f"the spec changed since the last migration: run `python -m codegen build` to write "
            f"{outputs.new_step.name}, review it and commit it first"
        )
    on_disk = {p: t for p, t in outputs.files.items() if "migrations" in p.parts}
    for path, text in on_disk.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            raise migrate.Refused(
                f"{settings.show(path)} is not as the build writes it; run build first"
            )
    return outputs.steps


def _migrate(args: argparse.Namespace, settings: config.Settings, outputs: build.Outputs) -> int:
    steps = _committed_steps(settings, outputs)

    def run_legacy(db: Path, step: history.Step) -> None:
        script = settings.out / "migrate_to_quantum.py"
        spec = importlib.util.spec_from_file_location("_codegen_legacy_migration", script)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        extra = (
            ["--no-backup"]
            if args.no_backup
            else (["--backup", args.backup] if args.backup else [])
        )
        code = module.main([str(db), *extra])
        if code != 0:
            raise migrate.Refused(f"the legacy migration {step.name} exited {code}")

    done = migrate.migrate(args.db, steps, run_legacy)
    if not args.quiet:
        for name in done:
            print(f"applied {name}")
        print(f"{args.db}: up to date ({len(steps)} migrations, {len(done)} applied now)")
    return 0


def _status(args: argparse.Namespace, settings: config.Settings, outputs: build.Outputs) -> int:
    steps = [s for s in outputs.steps if s is not outputs.new_step]
    conn = migrate.connect(args.db)
    try:
        states = migrate.status(conn, steps)
    finally:
        conn.close()
    for st in states:
        print(f"{st.state:8} {st.step.name}")
    if outputs.new_step is not None:
        print(f"{'unbuilt':8} {outputs.new_step.name} (run python -m codegen build)")
    pending = sum(st.state != "applied" for st in states)
    print(f"{len(states) - pending} applied, {pending} pending")
    return 0


def _diff(args: argparse.Namespace, settings: config.Settings, outputs: build.Outputs) -> int:
    conn = migrate.connect(args.db)
    try:
        tables, columns = _legacy_leftovers(settings)
        live = migrate.describe(conn, ignore_columns=columns)
    finally:
        conn.close()
    found = migrate.differences(live, migrate.expected_schema(outputs.spec), ignore_tables=tables)
    for line in found:
        print(line)
    if not found:
        print(f"{args.db} matches {settings.show(settings.source)}")
    return 1 if found else 0


def _legacy_leftovers(settings: config.Settings) -> tuple[set[str], dict[str, set[str]]]:
    """Legacy tables and columns the migration leaves in place on purpose: not drift."""
    legacy = build._legacy(settings) or {}
    tables: set[str] = set(legacy.get("leave_in_place", {}).get("tables", []))
    columns = {t: set(c) for t, c in legacy.get("leave_in_place", {}).get("columns", {}).items()}
    return tables, columns


COMMANDS = {"build": _build, "check": _check, "migrate": _migrate, "status": _status, "diff": _diff}


if __name__ == "__main__":
    sys.exit(main())
