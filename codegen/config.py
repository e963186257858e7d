"""Settings: `[tool.codegen]` in pyproject.toml, overridden by command-line flags."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import CodegenError, Diagnostic
from codegen.spec import Pos

DEFAULTS = {
    "source": "spec/narrative-streams.ts",
    "out": "generated",
    "legacy": "spec/legacy-mapping.json",
}


@dataclass(frozen=True)
class Settings:
    """Where to read and write, all absolute; `root` is the folder paths are shown relative to."""

    root: Path
    source: Path
    out: Path
    legacy: Path | None

    @property
    def spec_file(self) -> Path:
        """The committed IR: beside the source, `<stem>.spec.json`."""
        return self.source.with_name(self.source.name.removesuffix(".ts") + ".spec.json")

    def show(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return start


def load(
    cwd: Path, source: str | None = None, out: str | None = None, legacy: str | None = None
) -> Settings:
    """Settings from pyproject (if any) with flags on top. With --source alone, no legacy file."""
    root = find_root(cwd.resolve())
    table: dict[str, str] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("codegen", {})
        except tomllib.TOMLDecodeError as exc:
            raise CodegenError(
                [Diagnostic(Pos(str(pyproject), 1, 1), f"invalid TOML: {exc}")]
            ) from None
    merged = {**DEFAULTS, **table}
    legacy_value = legacy if legacy is not None else (None if source else merged.get("legacy"))
    base = root if not source else cwd.resolve()
    src = (cwd.resolve() / source) if source else (root / merged["source"])
    dst = (cwd.resolve() / out) if out else (root / merged["out"])
    leg = None
    if legacy_value:
        leg = (cwd.resolve() / legacy_value) if legacy else (root / legacy_value)
        if not leg.is_file():
            leg = None
    del base
    return Settings(root=root, source=src, out=dst, legacy=leg)
