"""Diagnostics for people: `file:line:col: message`, all of them at once."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.spec import Pos


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in the user's input, at a 1-based position."""

    pos: Pos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}"


class CodegenError(Exception):
    """The one exception the CLI catches: it prints the diagnostics and exits 2."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.diagnostics = tuple(
            sorted(diagnostics, key=lambda d: (d.pos.file, d.pos.line, d.pos.col))
        )
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class Collector:
    """Gathers diagnostics while a stage runs; `raise_if_any()` at the end (like sqlc's multierr)."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, pos: Pos, message: str) -> None:
        self.items.append(Diagnostic(pos, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise CodegenError(self.items)
