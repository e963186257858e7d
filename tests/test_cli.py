"""The command line as users meet it: build, check (the drift check), errors, --help."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's inputs and committed outputs, to change freely."""
    for name in ("spec", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_committed_outputs_are_up_to_date() -> None:
    """The repository's own drift check, as CI runs it."""
    proc = run(ROOT, "check")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr


def test_build_is_reproducible(project: Path) -> None:
    before = snapshot(project)
    assert run(project, "build").returncode == 0
    first = snapshot(project)
    assert run(project, "build").returncode == 0
    assert snapshot(project) == first == before


def test_check_fails_when_a_field_is_added(project: Path) -> None:
    source = project / "spec" / "narrative-streams.ts"
    text = source.read_text()
    text = text.replace("  /** Why the user holds this stance. */\n", "").replace(
        "  /** How the user relates to the discourse. */\n  user_stance: UserStance;\n",
        "  /** How the user relates to the discourse. */\n  user_stance: UserStance;\n"
        "  /** Why the user holds this stance. */\n  stance_reason?: string | null;\n",
    )
    source.write_text(text)
    proc = run(project, "check")
    assert proc.returncode == 1
    assert '+    "stance_reason" TEXT,' in proc.stdout
    assert "generated/schemas.py" in proc.stdout or "generated/schema_quantum.sql" in proc.stdout
    assert "out of date" in proc.stderr
    assert run(project, "build").returncode == 0
    assert run(project, "check").returncode == 0


@pytest.mark.parametrize("how", ["edit", "delete", "extra", "spec"])
def test_check_catches_hand_edits_missing_and_extra_files(project: Path, how: str) -> None:
    target = project / "generated" / "schema_quantum.sql"
    if how == "edit":
        target.write_text(target.read_text().replace('"coherence" REAL', '"coherence" TEXT'))
    elif how == "delete":
        target.unlink()
    elif how == "extra":
        (project / "generated" / "notes.py").write_text("x = 1\n")
    else:
        spec = project / "spec" / "narrative-streams.spec.json"
        spec.write_text(spec.read_text().replace('"memory"', '"memories"', 1))
    proc = run(project, "check")
    assert proc.returncode == 1, proc.stdout
    expected = {"edit": "-    \"coherence\" TEXT", "delete": "missing: generated/schema_quantum.sql",
                "extra": "extra: generated/notes.py", "spec": "spec/narrative-streams.spec.json"}[how]  # fmt: skip
    assert expected in proc.stdout


def test_failed_build_changes_nothing(project: Path) -> None:
    source = project / "spec" / "narrative-streams.ts"
    source.write_text(
        source.read_text().replace("  state: string;", "  state: Partial<string>;\n  ghost: Ghost;")
    )
    before = snapshot(project)
    proc = run(project, "build")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert any(
        line.startswith("spec/narrative-streams.ts:") and "Partial<string>" in line
        for line in lines
    )
    assert any("unknown type 'Ghost'" in line for line in lines)
    assert lines[-1] == "2 errors; nothing written."
    assert snapshot(project) == before
    assert run(project, "check").returncode == 2


def test_build_never_deletes_files_it_did_not_write(project: Path) -> None:
    mine = project / "generated" / "local_notes.txt"
    mine.write_text("keep me\n")
    assert run(project, "build").returncode == 0
    assert mine.read_text() == "keep me\n"


def test_source_and_out_point_at_another_schema(tmp_path: Path) -> None:
    source = tmp_path / "shop.ts"
    source.write_text((ROOT / "tests" / "cases" / "relations" / "input.ts").read_text())
    proc = run(tmp_path, "build", "--source", "shop.ts", "--out", "shop_out")
    assert proc.returncode == 0, proc.stderr
    produced = sorted(p.name for p in (tmp_path / "shop_out").iterdir())
    assert "schema_quantum.sql" in produced and "schema.md" in produced
    assert "migrate_to_quantum.py" not in produced  # no legacy mapping for this schema
    assert (tmp_path / "shop.spec.json").is_file()
    assert run(tmp_path, "check", "--source", "shop.ts", "--out", "shop_out").returncode == 0


def test_missing_source_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    proc = run(tmp_path, "build", "--source", "nope.ts")
    assert proc.returncode == 2
    assert "nope.ts:1:1: cannot read source" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [[], ["build"], ["check"]])
def test_help(command: list[str]) -> None:
    proc = run(ROOT, *command, "--help")
    assert proc.returncode == 0
    assert "usage: codegen" in proc.stdout


def test_bad_arguments_exit_2() -> None:
    assert run(ROOT, "explode").returncode == 2
    assert run(ROOT).returncode == 2
