"""Placeholder: filled in by its own change."""

from __future__ import annotations

from codegen.render import Context
from codegen.spec import Spec


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    return {}
