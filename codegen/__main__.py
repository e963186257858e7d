"""Command line: `python -m codegen build | check`. The only module that prints or exits.

Exit codes: 0 ok, 1 out of date (check), 2 error in the input or the arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen import build, config
from codegen.errors import CodegenError


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", metavar="FILE", help="TypeScript source (default: [tool.codegen] source)")
    common.add_argument("--out", metavar="DIR", help="output folder (default: [tool.codegen] out)")
    common.add_argument("--legacy", metavar="FILE", help="legacy mapping data for the migration")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser = argparse.ArgumentParser(
        prog="codegen",
        description="Generate the SQLite schema, JSON Schema, Pydantic models, database helpers, "
        "migration and ER diagram from TypeScript types.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "build",
        parents=[common],
        help="write the spec and every output",
        description="Parse the TypeScript source, write the spec JSON and every output. "
        "A failed build changes no file.",
    )
    sub.add_parser(
        "check",
        parents=[common],
        help="exit 1 with a diff when anything committed is stale",
        description="Render in memory and compare with the files on disk: exit 0 when clean, "
        "1 with a unified diff when anything is stale, hand-edited, missing or extra, 2 on error.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = config.load(Path.cwd(), args.source, args.out, args.legacy)
        outputs = build.generate(settings)
        if args.command == "build":
            changed = build.write(settings, outputs)
            if not args.quiet:
                for path in changed:
                    print(f"wrote {settings.show(path)}")
                print(f"{len(outputs.files)} files from {settings.show(settings.source)}, {len(changed)} changed")
            return 0
        diffs = build.diff(settings, outputs)
        if diffs:
            sys.stdout.write("".join(diffs))
            print(f"{len(diffs)} file(s) out of date; run `python -m codegen build` and commit.", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"{len(outputs.files)} files up to date with {settings.show(settings.source)}")
        return 0
    except CodegenError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        n = len(exc.diagnostics)
        print(f"{n} error{'s' if n != 1 else ''}; nothing written.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
