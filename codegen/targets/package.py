"""`generated/__init__.py`: makes the output folder an importable package."""

from __future__ import annotations

from codegen.render import Context
from codegen.spec import Spec


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    return {
        "__init__.py": '"""Code generated from the TypeScript spec; see schema.md for the tables."""\n'
    }
