"""The migration history: `generated/migrations/`, one numbered step per spec change.

Each step `NNNN_slug` has a snapshot of the spec it leads to (`NNNN_slug.spec.json`) and,
unless it is the legacy migration (a Python script of its own), the SQL that gets there
(`NNNN_slug.sql`). `migrations.sum` holds a checksum of every file, like go.sum: an edited,
removed, renamed or reordered step is caught by `codegen check` and refused by `codegen
migrate`. Steps are history: the build adds the next one and never rewrites an old one.
Dialect-neutral: what a step's SQL says is the SQLite target's business.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from codegen.spec import Spec

FOLDER = "migrations"
SUM_FILE = "migrations.sum"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(sql|spec\.json)$")
SUM_HEADER = "# The migration history: the sha256 of every step file, in order; `check` and `migrate` verify it.\n"


@dataclass(frozen=True)
class Step:
    """One migration: its number, slug, SQL (None for the legacy script) and snapshot text."""

    number: int
    slug: str
    snapshot_text: str
    sql: str | None = None

    @property
    def name(self) -> str:
        return f"{self.number:04d}_{self.slug}"

    @property
    def snapshot(self) -> Spec:
        return Spec.from_dict(json.loads(self.snapshot_text))

    @property
    def checksum(self) -> str:
        """What the history table records: the hash of the step's files."""
        digest = hashlib.sha256(self.snapshot_text.encode())
        if self.sql is not None:
            digest.update(self.sql.encode())
        return digest.hexdigest()

    def files(self) -> dict[str, str]:
        out = {f"{self.name}.spec.json": self.snapshot_text}
        if self.sql is not None:
            out[f"{self.name}.sql"] = self.sql
        return out


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sum_text(steps: list[Step]) -> str:
    lines = [
        f"{path} sha256:{sha256(text)}\n" for step in steps for path, text in step.files().items()
    ]
    return SUM_HEADER + "".join(lines)


def is_step_file(path: Path) -> bool:
    return bool(_NAME.match(path.name)) or path.name == SUM_FILE


def load(folder: Path) -> tuple[list[Step], list[str]]:
    """The committed steps, and every way the folder disagrees with its sum file."""
    if not folder.is_dir():
        return [], []
    problems: list[str] = []
    recorded: dict[str, str] = {}
    sum_path = folder / SUM_FILE
    if sum_path.is_file():
        for line in sum_path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                path, _, digest = line.partition(" sha256:")
                recorded[path] = digest
    files = {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.iterdir())
        if _NAME.match(p.name)
    }
    if files and not sum_path.is_file():
        problems.append(f"{FOLDER}/{SUM_FILE} is missing")
    for name in recorded:
        if name not in files:
            problems.append(f"{FOLDER}/{name} was removed (it is recorded in {SUM_FILE})")
    for name, text in files.items():
        if name not in recorded:
            problems.append(
                f"{FOLDER}/{name} is not recorded in {SUM_FILE} (added or renamed by hand)"
            )
        elif recorded[name] != sha256(text):
            problems.append(f"{FOLDER}/{name} was edited after it was recorded (checksum mismatch)")
    if list(recorded) != sorted(recorded):
        problems.append(f"{SUM_FILE} lists the steps out of order")
    steps: list[Step] = []
    numbers: dict[int, str] = {}
    for name in files:
        number, slug, kind = _NAME.match(name).groups()  # type: ignore[union-attr]
        if kind == "spec.json":
            numbers[int(number)] = slug
    for expected, number in enumerate(sorted(numbers), start=1):
        if number != expected:
            problems.append(f"step {expected:04d} is missing: steps must be numbered 1, 2, 3, ...")
            break
    for number in sorted(numbers):
        slug = numbers[number]
        base = f"{number:04d}_{slug}"
        steps.append(Step(number, slug, files[f"{base}.spec.json"], files.get(f"{base}.sql")))
    for name in files:
        number, slug, _ = _NAME.match(name).groups()  # type: ignore[union-attr]
        if numbers.get(int(number)) != slug:
            problems.append(f"{FOLDER}/{name} has no snapshot ({number}_{slug}.spec.json)")
    return steps, problems
