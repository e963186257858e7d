"""Pydantic v2 models: `schemas.py`, made by datamodel-code-generator from the JSON Schema.

datamodel-code-generator (dmcg) does the JSON Schema -> Pydantic mapping, in-process, once per
build; this module only chooses its options and feeds it the jsonschema target's document.
What JSON Schema cannot say comes in through dmcg's own extension points:
- a custom `pydantic_v2/BaseModel.jinja2` (templates/pydantic/, passed as
  `custom_template_dir`), driven by a per-model view model passed as `extra_template_data`:
  `@defaultNow` fields get `default_factory=lambda: datetime.now(timezone.utc)`, datetime
  fields a before-validator that reads naive values as UTC, `@sum` arrays an after-validator;
- `templates/pydantic/rules.py.j2`, appended to dmcg's module: the helpers those validators
  call (looked up when they run, so they may follow the classes) and the `@alias` names.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from datamodel_code_generator import DataModelType, InputFileType, PythonVersion, generate
from datamodel_code_generator.enums import TargetPydanticVersion

from codegen.render import TEMPLATES, Context, render_template
from codegen.spec import Field, Kind, Model, Spec
from codegen.targets.jsonschema import NOW_KEY, build_schema

SCHEMAS_FILE = "schemas.py"
DMCG_TEMPLATES = TEMPLATES / "pydantic"
HEADER = '"""Pydantic v2 models of the spec\'s types, made by datamodel-code-generator from its JSON Schema."""'

# Why each option (see `datamodel-codegen --help`). Models come out in the spec's source order,
# dmcg's default (`keep_model_order` would sort them by name).
OPTIONS: dict[str, Any] = {
    "input_file_type": InputFileType.JsonSchema,
    "output_model_type": DataModelType.PydanticV2BaseModel,
    "target_python_version": PythonVersion.PY_311,
    "target_pydantic_version": TargetPydanticVersion.V2_11,  # validate_by_name, not populate_by_name
    "enum_field_as_literal": "all",  # vocabularies as Literal[...], as the phase document has them
    "collapse_root_models": True,  # ... written inline, not as RootModel wrappers around a Literal
    "field_constraints": True,  # Field(ge=, le=, min_length=), not conint()/confloat()
    "use_default_kwarg": True,  # Field(default=...) rather than a positional default
    "use_standard_collections": True,  # list[str], dict[str, float]
    "use_union_operator": True,  # X | None
    "use_schema_description": True,  # model docs as class docstrings
    "strict_nullable": True,  # `| null` and optional stay two facts (no None unless nullable)
    "allow_population_by_field_name": True,  # `class_=` and `"class"` both validate
    "output_datetime_class": "AwareDatetime",  # values out are tz-aware; rules.py.j2 reads naive as UTC
    "disable_timestamp": True,  # determinism: no date, no version, no command line
    "enable_version_header": False,
    "enable_command_header": False,
    "custom_file_header": HEADER,  # replaces dmcg's header; render_all stamps ours above it
    # render_all runs `ruff format` on every .py anyway (double quotes, line length 100);
    # formatting here too would do it twice, and black/isort cost more than the whole build.
    "formatters": [],
    "custom_template_dir": DMCG_TEMPLATES,
}


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    return {SCHEMAS_FILE: generate_models(spec)}


def generate_models(spec: Spec) -> str:
    """dmcg's module for the spec's JSON Schema, followed by codegen's rules and aliases."""
    needs = _needs(spec)
    options = dict(OPTIONS)
    options["extra_template_data"] = {m.name: {"codegen": model_view(m)} for m in spec.models}
    options["additional_imports"] = [imp for imp, used in _IMPORTS.items() if needs[used]]
    with warnings.catch_warnings():
        # dmcg's notice that it will make jinja2 an optional extra; we depend on jinja2 directly
        warnings.filterwarnings("ignore", "Jinja2 will become optional", FutureWarning)
        models = generate(_dmcg_input(build_schema(spec)), **options)
    assert isinstance(models, str)  # one module when `output` is None
    rules = render_template("pydantic/rules.py.j2", **needs, aliases=_aliases(spec))
    return models.rstrip("\n") + "\n\n\n" + rules


def cli_arguments() -> list[str]:
    """OPTIONS as `datamodel-codegen` flags, so benchmarks/ can time the bare CLI on the same models.

    Without codegen's extension (the custom template and its per-model view model need a spec);
    formatted by ruff format, which render_all applies to the build's output too.
    """
    args: list[str] = []
    for name, value in OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        if name in ("custom_template_dir", "formatters") or value is False:  # False: the default
            continue
        args += [flag] if value is True else [flag, str(getattr(value, "value", value))]
    return [*args, "--formatters", "ruff-format"]


def model_view(m: Model) -> dict[str, Any]:
    """What the custom BaseModel template needs for one model, keyed by TypeScript field names."""
    return {
        "now": {f.name: {"description": f.doc} for f in m.fields if f.constraints.default_now},
        "utc": [f.name for f in m.fields if _holds_datetime(f)],
        "sums": [
            {"field": f.name, "item": c.field, "total": c.total, "tolerance": c.tolerance}
            for f in m.fields
            if (c := f.constraints.sum) is not None
        ],
    }


# Imports the templates' code uses, by the need that brings them in (dmcg imports the rest).
# Not `pydantic.Field`: dmcg imports it for the @defaultNow fields (see _dmcg_input), and a
# second import of it would be a redefinition.
_IMPORTS = {
    "datetime.datetime": "has_datetimes",
    "datetime.timezone": "has_datetimes",
    "pydantic.field_validator": "has_validators",
}


def _needs(spec: Spec) -> dict[str, bool]:
    fields = [f for m in spec.models for f in m.fields]
    has_datetimes = any(_holds_datetime(f) for f in fields)
    has_sums = any(f.constraints.sum is not None for f in fields)
    return {
        "has_datetimes": has_datetimes,
        "has_now": any(f.constraints.default_now for f in fields),
        "has_sums": has_sums,
        "has_validators": has_datetimes or has_sums,
    }


def _aliases(spec: Spec) -> list[tuple[str, str]]:
    return [(alias, m.name) for m in spec.models for alias in m.aliases]


def _holds_datetime(f: Field) -> bool:
    """A Date, or an array/record of them (the before-validator walks containers)."""
    ref = f.type
    while ref.item is not None and ref.kind in (Kind.ARRAY, Kind.RECORD):
        ref = ref.item
    return ref.kind is Kind.DATETIME


def _dmcg_input(schema: dict[str, Any]) -> dict[str, Any]:
    """The published document, adjusted to how dmcg reads it (a copy; the file stays standard).

    - An empty list/dict default becomes dmcg's own `default_factory` keyword (values list,
      dict, set; not standard JSON Schema): never a mutable default. Pydantic copies a
      non-empty one per instance, so those stay `default=`.
    - A `x-defaultNow` field gets a `default_factory` too, so dmcg types it as never absent
      (`| None` only when nullable) and imports `Field`; the BaseModel template then writes
      the real factory, which dmcg's keyword cannot name.
    - Without an aggregate root (a spec without tables) dmcg would model the open root as
      `class Model(RootModel[Any])`; a root naming a defined model adds no class.
    """
    schema = copy.deepcopy(schema)
    defs: dict[str, Any] = schema.get("$defs", {})
    objects = [name for name, d in defs.items() if d.get("type") == "object"]
    if "$ref" not in schema and objects:
        schema.update({"title": objects[0], "$ref": f"#/$defs/{objects[0]}"})
    for definition in defs.values():
        for prop in definition.get("properties", {}).values():
            default = prop.get("default")
            if default == [] or default == {}:
                del prop["default"]
                prop["default_factory"] = type(default).__name__
            elif prop.get(NOW_KEY):
                prop["default_factory"] = "list"  # a stand-in, replaced by the template
    return schema
