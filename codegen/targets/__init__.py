"""The outputs. Each target is a module with `render(spec, ctx) -> {relative path: text}`.

A target does no I/O and knows nothing of the others' files; `render_all` stamps headers and
formats the Python. A target's name, module and template folder are the same word.
"""

from __future__ import annotations

from importlib import import_module

from codegen.render import Context, ruff_format, with_header
from codegen.spec import Spec

# Order is only the order of the build's progress lines.
TARGETS = ("package", "sqlite", "jsonschema", "pydantic", "database", "migration", "erd")


def render_target(name: str, spec: Spec, ctx: Context) -> dict[str, str]:
    module = import_module(f"codegen.targets.{name}")
    return module.render(spec, ctx)


def render_all(spec: Spec, ctx: Context) -> dict[str, str]:
    """Every generated file (paths relative to the output folder), headed and formatted."""
    files: dict[str, str] = {}
    for name in TARGETS:
        for path, body in render_target(name, spec, ctx).items():
            files[path] = body
    files = ruff_format(files)
    return {path: with_header(path, body, ctx.source) for path, body in sorted(files.items())}
