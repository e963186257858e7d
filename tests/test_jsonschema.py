"""The `jsonschema` target: narrative_streams.schema.json, a draft 2020-12 document.

The structure is checked here without a validator library (jsonschema is not a project
dependency); where it happens to be installed, the document also validates the phase
document's example session for real.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from codegen.parse_ts import parse_file
from codegen.render import Context, with_header
from codegen.spec import Spec
from codegen.targets import render_target
from codegen.targets.jsonschema import DIALECT, SCHEMA_FILE, build_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = json.loads((ROOT / "tests" / "data" / "example_session.json").read_text(encoding="utf-8"))

# Every keyword the document may use: standard 2020-12 ones, plus codegen's `x-` annotations.
STANDARD = {
    "$schema", "$ref", "$defs", "$comment", "title", "description", "type", "enum", "properties",
    "required", "additionalProperties", "items", "anyOf", "default", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "format",
    "minItems", "maxItems",
}  # fmt: skip


@pytest.fixture(scope="module")
def spec() -> Spec:
    return parse_file(ROOT / "spec" / "narrative-streams.ts", "spec/narrative-streams.ts")


@pytest.fixture(scope="module")
def schema(spec: Spec) -> dict[str, Any]:
    text = render_target("jsonschema", spec, Context(source="spec/narrative-streams.ts"))[
        SCHEMA_FILE
    ]
    return json.loads(text)


def _schemas(node: Any, at: str = "#") -> list[tuple[str, dict]]:
    """Every schema object in the document, with a JSON pointer-ish path."""
    if not isinstance(node, dict):
        return []
    out = [(at, node)]
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            out += _schemas(sub, f"{at}/{key}/{name}")
    for key in ("items", "additionalProperties"):
        out += _schemas(node.get(key), f"{at}/{key}")
    for i, sub in enumerate(node.get("anyOf", [])):
        out += _schemas(sub, f"{at}/anyOf/{i}")
    return out


def test_root_is_the_session_aggregate(schema: dict) -> None:
    assert schema["$schema"] == DIALECT
    assert schema["title"] == "QuantumStorySession"
    assert schema["$ref"] == "#/$defs/QuantumStorySession"
    assert schema["description"].startswith("A whole storytelling session")


def test_every_vocabulary_and_model_is_defined(spec: Spec, schema: dict) -> None:
    defs = schema["$defs"]
    assert list(defs) == [e.name for e in spec.enums] + [m.name for m in spec.models]
    for e in spec.enums:
        assert defs[e.name] == {"type": "string", "description": e.doc, "enum": list(e.values)}


def test_models_are_closed_objects_with_required_fields(spec: Spec, schema: dict) -> None:
    for m in spec.models:
        d = schema["$defs"][m.name]
        assert d["type"] == "object" and d["additionalProperties"] is False, m.name
        assert list(d["properties"]) == [f.name for f in m.fields]
        assert d.get("required", []) == [f.name for f in m.fields if not f.optional]
        for f in m.fields:
            assert d["properties"][f.name].get("description") == (
                f.doc or None
            )  # none without a doc


def test_constraints_defaults_and_types(schema: dict) -> None:
    defs = schema["$defs"]
    assert defs["QuantumState"]["properties"]["probability"] == {
        "description": "How likely this identity is; all states of a stream sum to 1.",
        "type": "number",
        "minimum": 0,
        "maximum": 1,
    }
    assert defs["AntenarrativeFragment"]["properties"]["text"]["minLength"] == 1
    assert defs["AntenarrativeFragment"]["properties"]["tensions"]["default"] == []
    assert defs["GrandNarrative"]["properties"]["influence"]["default"] == 0.5
    session = defs["QuantumStorySession"]["properties"]
    assert session["phase"] == {
        "description": "Where the session stands.",
        "default": "INVOCATION",
        "$ref": "#/$defs/SessionPhase",
    }
    assert session["yama_balance"]["additionalProperties"] == {"type": "number"}
    assert session["streams"]["items"] == {"$ref": "#/$defs/NarrativeStream"}


def test_nullable_and_dates(schema: dict) -> None:
    session = schema["$defs"]["QuantumStorySession"]["properties"]
    assert session["created_at"]["anyOf"] == [
        {"type": "string", "format": "date-time"},
        {"type": "null"},
    ]
    assert session["created_at"]["x-defaultNow"] is True
    assert session["transcript"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    fragment = schema["$defs"]["AntenarrativeFragment"]["properties"]
    assert fragment["timestamp"]["format"] == "date-time" and "anyOf" not in fragment["timestamp"]
    assert fragment["energy_level"]["anyOf"] == [{"$ref": "#/$defs/EnergyLevel"}, {"type": "null"}]
    stream = schema["$defs"]["NarrativeStream"]["properties"]
    assert stream["temporal_layers"]["anyOf"][0] == {"$ref": "#/$defs/TemporalLayers"}


def test_sum_rule_is_an_annotation(schema: dict) -> None:
    states = schema["$defs"]["NarrativeStream"]["properties"]["possible_states"]
    assert states["x-sum"] == {"field": "probability", "total": 1.0, "tolerance": 0.01}


def test_only_standard_keywords_and_x_annotations(schema: dict) -> None:
    for at, node in _schemas(schema):
        unknown = {k for k in node if k not in STANDARD and not k.startswith("x-")}
        assert not unknown, f"{at}: {unknown}"


def test_every_ref_resolves(schema: dict) -> None:
    for at, node in _schemas(schema):
        if "$ref" in node:
            assert node["$ref"].startswith("#/$defs/"), at
            assert node["$ref"].removeprefix("#/$defs/") in schema["$defs"], at


def test_rendered_file_is_stable_json_and_takes_the_header(spec: Spec) -> None:
    ctx = Context(source="spec/narrative-streams.ts")
    first = render_target("jsonschema", spec, ctx)[SCHEMA_FILE]
    assert first == render_target("jsonschema", spec, ctx)[SCHEMA_FILE]
    assert first.endswith("}\n") and json.loads(first) == build_schema(spec)
    headed = json.loads(with_header(SCHEMA_FILE, first, ctx.source))
    assert (
        headed["$comment"].startswith("Generated by codegen")
        and headed["$ref"] == "#/$defs/QuantumStorySession"
    )


def test_validates_the_example_session_with_a_real_validator(schema: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not a project dependency")
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(EXAMPLE)
    bad = copy.deepcopy(EXAMPLE)
    bad["streams"][0]["possible_states"][0]["probability"] = 1.5
    bad["streams"][0]["stream_id"] = "HEALTH_LITERACY"
    bad["phase"] = None
    bad["probabilty"] = 0.5
    where = {tuple(error.absolute_path) for error in validator.iter_errors(bad)}
    assert where == {
        ("streams", 0, "possible_states", 0, "probability"),
        ("streams", 0, "stream_id"),
        ("phase",),
        (),
    }
