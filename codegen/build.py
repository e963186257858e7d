"""Render everything in memory, then write it (build) or compare it (check).

Nothing touches the disk until every output has rendered, so a failed build changes no file;
each file is replaced atomically (write a temporary file, then rename).
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from codegen import history
from codegen.config import Settings
from codegen.errors import CodegenError, Diagnostic
from codegen.parse_ts import parse_file
from codegen.render import GENERATOR, Context, with_header
from codegen.spec import Pos, Spec
from codegen.targets import render_all, sqlite_migrations

IGNORED_PARTS = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class Outputs:
    """Every file a build owns, by absolute path, the spec they came from, the migration
    history (with the step this build adds, if any) and what is wrong with the committed one."""

    spec: Spec
    files: dict[Path, str]
    steps: list[history.Step]
    new_step: history.Step | None = None
    tampered: tuple[str, ...] = ()


def generate(settings: Settings, allow_data_loss: bool = False) -> Outputs:
    """Parse, validate and render; raise CodegenError before anything is written."""
    spec = parse_file(settings.source, settings.show(settings.source))
    legacy = _legacy(settings)
    folder = settings.out / history.FOLDER
    steps, tampered = history.load(folder)
    new_step = None
    if not tampered:
        new_step = _next_step(spec, steps, settings, legacy is not None, allow_data_loss)
        steps = [*steps, new_step] if new_step else steps
    ctx = Context(
        source=settings.show(settings.source),
        legacy=legacy,
        extra={
            "first_snapshot": steps[0].snapshot if steps else spec,
            "first_step": steps[0] if steps else None,  # the legacy script records itself as it
            "steps": steps,  # apply_schema() on a new database records them all as applied
            **_legacy_source(settings),
        },
    )
    files = {settings.spec_file: with_header(settings.spec_file.name, spec.to_json(), ctx.source)}
    for rel, text in render_all(spec, ctx).items():
        files[settings.out / rel] = text
    if not tampered:
        for step in steps:
            for name, text in step.files().items():
                files[folder / name] = text
        files[folder / history.SUM_FILE] = with_header(
            history.SUM_FILE, history.sum_text(steps), ctx.source
        )
    return Outputs(spec, files, steps, new_step, tuple(tampered))


def _next_step(
    spec: Spec,
    steps: list[history.Step],
    settings: Settings,
    has_legacy: bool,
    allow_data_loss: bool,
) -> history.Step | None:
    """The step this spec needs on top of the committed history (None: up to date)."""
    source = settings.show(settings.source)
    number = len(steps) + 1
    if steps and steps[-1].snapshot == spec:
        return None
    if not steps:
        plan = None if has_legacy else sqlite_migrations.initial(spec)
        slug = "quantum_storytelling" if has_legacy else "initial"
    else:
        plan = sqlite_migrations.plan(steps[-1].snapshot, spec, source, allow_data_loss)
        if not plan.changes and not plan.blocks and not plan.prechecks:
            return None  # a doc or a comment: nothing for a database to do, no step
        slug = plan.slug
    name = f"{number:04d}_{slug}"
    snapshot = with_header(f"{name}.spec.json", spec.to_json(), source)
    sql = with_header(f"{name}.sql", plan.sql(number), source) if plan else None
    return history.Step(number, slug, snapshot, sql)


def _legacy(settings: Settings) -> dict | None:
    if settings.legacy is None:
        return None
    shown = settings.show(settings.legacy)
    try:
        return json.loads(settings.legacy.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CodegenError(
            [Diagnostic(Pos(shown, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}")]
        ) from None


def _legacy_source(settings: Settings) -> dict[str, str]:
    """The legacy mapping's name and text, so its checks can point at line:col."""
    if settings.legacy is None:
        return {}
    text = settings.legacy.read_text(encoding="utf-8")
    return {"legacy_file": settings.show(settings.legacy), "legacy_text": text}


def owned_extras(settings: Settings, outputs: Outputs) -> list[Path]:
    """Files in the output folder that the build did not produce (stale or hand-made)."""
    if not settings.out.is_dir():
        return []
    return [
        path
        for path in sorted(settings.out.rglob("*"))
        if path.is_file()
        and not IGNORED_PARTS & set(path.parts)
        and path.suffix != ".pyc"
        and path not in outputs.files
        and not (outputs.tampered and history.is_step_file(path))  # reported as tampering instead
    ]


def write(settings: Settings, outputs: Outputs) -> list[Path]:
    """Write changed files atomically; remove generated files no longer produced. Returns changes."""
    changed = []
    for path, text in outputs.files.items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
        changed.append(path)
    for path in owned_extras(settings, outputs):
        if _is_ours(path):  # never delete a file we did not write
            path.unlink()
            changed.append(path)
    return changed


def _is_ours(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            return f"Generated by {GENERATOR} from" in fh.readline(400) + fh.readline(
                400
            ) + fh.readline(400)
    except (OSError, UnicodeDecodeError):
        return False


def diff(settings: Settings, outputs: Outputs) -> list[str]:
    """Unified diffs (committed -> expected) for every stale, missing or extra file."""
    out = [
        f"migration history: {problem}; restore the folder from version control "
        "(or delete step files a reverted change left behind)\n"
        for problem in outputs.tampered
    ]
    for path, expected in outputs.files.items():
        shown = settings.show(path)
        if not path.is_file():
            out.append(f"missing: {shown} (run `python -m codegen build`)\n")
            continue
        actual = path.read_text(encoding="utf-8", errors="replace")
        if actual != expected:
            out.append(
                "".join(
                    difflib.unified_diff(
                        actual.splitlines(keepends=True),
                        expected.splitlines(keepends=True),
                        fromfile=f"{shown} (committed)",
                        tofile=f"{shown} (from {settings.show(settings.source)})",
                    )
                )
            )
    for path in owned_extras(settings, outputs):
        out.append(
            f"extra: {settings.show(path)} is not produced by the build (delete it or run build)\n"
        )
    return out
