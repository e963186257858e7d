"""Golden cases: one folder per case under tests/cases/<name>/.

Each holds `input.ts` and either `errors.txt` (the exact diagnostics, in order) or
`expected/` (every file a build writes: the spec JSON and all outputs). A failing comparison
prints the diff; to accept new output, run:

    UPDATE_GOLDEN=1 python -m pytest tests/test_cases.py
"""

from __future__ import annotations

import difflib
import importlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.errors import CodegenError
from codegen.parse_ts import parse_source
from codegen.render import Context, with_header
from codegen.targets import render_all, sqlite

CASES = Path(__file__).parent / "cases"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
HOW = "UPDATE_GOLDEN=1 python -m pytest tests/test_cases.py"


def _cases(kind: str) -> list[str]:
    return sorted(
        p.name
        for p in CASES.iterdir()
        if (p / "input.ts").is_file() and p.name.startswith("errors_") == (kind == "errors")
    )


def _render(case: Path) -> dict[str, str]:
    spec = parse_source((case / "input.ts").read_bytes(), "input.ts")
    files = render_all(spec, Context(source="input.ts"))
    files["input.spec.json"] = with_header("input.spec.json", spec.to_json(), "input.ts")
    return files


def _compare(expected: str, actual: str, label: str) -> None:
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                f"{label} (golden)",
                f"{label} (now)",
            )
        )
        pytest.fail(
            f"{label} differs from its golden file:\n{diff}\nIf the change is intended: {HOW}"
        )


@pytest.mark.parametrize("name", _cases("ok"))
def test_golden_outputs(name: str) -> None:
    case = CASES / name
    files = _render(case)
    expected_dir = case / "expected"
    if UPDATE:
        if expected_dir.exists():
            for old in expected_dir.iterdir():
                old.unlink()
        expected_dir.mkdir(exist_ok=True)
        for path, text in files.items():
            (expected_dir / path).write_text(text, encoding="utf-8")
    on_disk = sorted(p.name for p in expected_dir.iterdir()) if expected_dir.is_dir() else []
    assert on_disk == sorted(files), f"the set of outputs changed; {HOW}"
    for path, text in files.items():
        _compare((expected_dir / path).read_text(encoding="utf-8"), text, f"{name}/expected/{path}")


@pytest.mark.parametrize("name", _cases("ok"))
def test_generated_code_runs(name: str, tmp_path: Path) -> None:
    """The case's SQL loads into SQLite and its Python modules import."""
    case = CASES / name
    spec = parse_source((case / "input.ts").read_bytes(), "input.ts")
    conn = sqlite3.connect(":memory:")
    for statement in sqlite.statements(spec):
        conn.execute(statement.sql)
    package = tmp_path / f"gen_{name}"
    package.mkdir()
    for path, text in render_all(spec, Context(source="input.ts")).items():
        (package / path).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        for module in sorted(p.stem for p in package.glob("*.py")):
            if module not in ("migrate_to_quantum", "rollback_quantum"):
                importlib.import_module(f"gen_{name}.{module}")
    finally:
        sys.path.remove(str(tmp_path))


@pytest.mark.parametrize("name", _cases("errors"))
def test_error_messages(name: str) -> None:
    case = CASES / name
    with pytest.raises(CodegenError) as caught:
        parse_source((case / "input.ts").read_bytes(), "input.ts")
    actual = "".join(f"{d}\n" for d in caught.value.diagnostics)
    if UPDATE:
        (case / "errors.txt").write_text(actual, encoding="utf-8")
    _compare((case / "errors.txt").read_text(encoding="utf-8"), actual, f"{name}/errors.txt")


@pytest.mark.parametrize("name", _cases("errors"))
def test_cli_error_exit(name: str, tmp_path: Path) -> None:
    """Bad input: exit 2, every diagnostic as file:line:col, no traceback, nothing written."""
    source = tmp_path / "input.ts"
    source.write_bytes((CASES / name / "input.ts").read_bytes())
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "build", "--source", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    expected = (CASES / name / "errors.txt").read_text(encoding="utf-8").splitlines()
    assert proc.stderr.splitlines()[: len(expected)] == expected
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.ts"]
