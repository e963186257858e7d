"""The `pydantic` target: schemas.py, rendered into tmp_path and imported for real.

Covers the phase document's models (names, constraints, Literal vocabularies, the sum rule,
timezone-aware datetimes), field names hostile to Python (tests/cases/python_names), and the
file itself (ruff-clean, deterministic, no dmcg header or timestamp).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from codegen.parse_ts import parse_file, parse_source
from codegen.render import Context, ruff_format
from codegen.spec import Spec
from codegen.targets import render_target

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "spec" / "narrative-streams.ts"
EXAMPLE = json.loads((ROOT / "tests" / "data" / "example_session.json").read_text(encoding="utf-8"))
NAMES_CASE = ROOT / "tests" / "cases" / "python_names" / "input.ts"
DOCUMENT_NAMES = (
    "QuantumStorySession",
    "NarrativeStream",
    "AntenarrativeFragment",
    "QuantumState",
    "TemporalLayers",
    "GrandNarrative",
    "YamaResonance",
    "ProbabilitySnapshot",
)


def render_schemas(spec: Spec) -> str:
    """schemas.py as a build writes it, minus the header: rendered, then ruff-formatted."""
    text = render_target("pydantic", spec, Context(source="input.ts"))["schemas.py"]
    return ruff_format({"schemas.py": text})["schemas.py"]


def import_schemas(spec: Spec, folder: Path, name: str) -> ModuleType:
    """Write the spec's schemas.py to `folder` and import it as module `name`."""
    path = folder / f"{name}.py"
    path.write_text(render_schemas(spec), encoding="utf-8")
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # Pydantic resolves forward references through sys.modules
    module_spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def spec() -> Spec:
    return parse_file(SOURCE, "spec/narrative-streams.ts")


@pytest.fixture(scope="module")
def schemas(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return import_schemas(spec, tmp_path_factory.mktemp("pydantic"), "schemas_under_test")


@pytest.fixture(scope="module")
def names(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    spec = parse_source(NAMES_CASE.read_bytes(), "input.ts")
    return import_schemas(spec, tmp_path_factory.mktemp("names"), "python_names_under_test")


def _stream(**changes: object) -> dict:
    stream = copy.deepcopy(EXAMPLE["streams"][0])
    stream.update(changes)
    return stream


def _states(*probabilities: float) -> list[dict]:
    return [{"state": f"state {i}", "probability": p} for i, p in enumerate(probabilities)]


# -- the document's models ------------------------------------------------------------------


def test_class_names_are_the_typescript_names(schemas: ModuleType) -> None:
    for name in DOCUMENT_NAMES:
        assert isinstance(getattr(schemas, name), type), name
    # the phase document's misspelling, kept by `@alias AntenarativeFragment`
    assert schemas.AntenarativeFragment is schemas.AntenarrativeFragment


def test_the_document_example_validates_and_round_trips(schemas: ModuleType) -> None:
    session = schemas.QuantumStorySession.model_validate(EXAMPLE)
    assert session.streams[0].possible_states[0].state == "Empowered Tracker"
    assert session.streams[1].fragments == []  # defaults filled in
    dumped = session.model_dump(by_alias=True, mode="json")
    again = schemas.QuantumStorySession.model_validate(dumped)
    assert again == session
    assert again.model_dump(by_alias=True, mode="json") == dumped


@pytest.mark.parametrize("probability", [-0.01, 1.01, float("inf"), "high", None])
def test_out_of_range_probability_is_rejected(schemas: ModuleType, probability: object) -> None:
    with pytest.raises(ValidationError):
        schemas.QuantumState.model_validate({"state": "x", "probability": probability})


@pytest.mark.parametrize("probability", [0, 0.0, 1, 1.0, "0.5"])
def test_probability_within_bounds_is_accepted(schemas: ModuleType, probability: object) -> None:
    assert (
        0
        <= schemas.QuantumState.model_validate(
            {"state": "x", "probability": probability}
        ).probability
        <= 1
    )


@pytest.mark.parametrize(
    ("model", "data"),
    [
        ("NarrativeStream", {"stream_id": "HEALTH_LITERACY"}),
        ("QuantumStorySession", {"session_id": "s", "user_id": "u", "phase": "invocation"}),
        ("AntenarrativeFragment", {"text": "x", "type": "dream"}),
        ("AntenarrativeFragment", {"text": "x", "type": "memory", "energy_level": "HIGH"}),
        ("GrandNarrative", {"discourse": "x", "user_stance": "ignoring"}),
        ("YamaResonance", {"principle": "Niyama", "resonance": "alignment"}),
    ],
)
def test_unknown_literal_is_rejected(schemas: ModuleType, model: str, data: dict) -> None:
    with pytest.raises(ValidationError, match=r"Input should be"):
        getattr(schemas, model).model_validate(data)


def test_vocabularies_are_literals(schemas: ModuleType) -> None:
    stream = schemas.NarrativeStream.model_validate({"stream_id": "BODY_KNOWLEDGE"})
    assert stream.stream_id == "BODY_KNOWLEDGE"  # a plain str, not an enum or RootModel
    assert type(stream.stream_id) is str


@pytest.mark.parametrize("probabilities", [(0.6, 0.4), (0.995,), (0.5, 0.51), (0.1, 0.2, 0.7), ()])
def test_probabilities_summing_to_one_are_accepted(
    schemas: ModuleType, probabilities: tuple
) -> None:
    stream = schemas.NarrativeStream.model_validate(
        _stream(possible_states=_states(*probabilities))
    )
    assert len(stream.possible_states) == len(probabilities)


@pytest.mark.parametrize("probabilities", [(0.7,), (0.6, 0.5), (0.5, 0.3), (1.0, 0.02)])
def test_probabilities_off_one_are_rejected(schemas: ModuleType, probabilities: tuple) -> None:
    with pytest.raises(ValidationError) as caught:
        schemas.NarrativeStream.model_validate(_stream(possible_states=_states(*probabilities)))
    message = str(caught.value)
    assert "possible_states" in message and "probability must sum to 1.0" in message


def test_sum_rule_is_checked_inside_a_whole_session(schemas: ModuleType) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["streams"][0]["possible_states"] = _states(0.7)
    with pytest.raises(ValidationError, match=r"must sum to 1\.0"):
        schemas.QuantumStorySession.model_validate(data)


def test_list_and_dict_defaults_are_factories(schemas: ModuleType) -> None:
    fields = schemas.AntenarrativeFragment.model_fields
    assert fields["tensions"].default_factory is list
    assert schemas.QuantumStorySession.model_fields["yama_balance"].default_factory is dict
    a = schemas.AntenarrativeFragment(text="a", type="memory")
    b = schemas.AntenarrativeFragment(text="b", type="memory")
    a.tensions.append("mine")
    assert b.tensions == []


def test_document_defaults(schemas: ModuleType) -> None:
    session = schemas.QuantumStorySession(session_id="s", user_id="u")
    assert session.phase == "INVOCATION"
    assert (session.overall_coherence, session.yama_balance, session.transcript) == (0, {}, None)
    assert schemas.GrandNarrative(discourse="d", user_stance="accepting").influence == 0.5
    assert schemas.TemporalLayers().past_story == ""


def test_default_now_is_timezone_aware(schemas: ModuleType) -> None:
    before = datetime.now(UTC)
    session = schemas.QuantumStorySession(session_id="s", user_id="u")
    fragment = schemas.AntenarrativeFragment(text="x", type="memory")
    for stamp in (session.created_at, fragment.timestamp):
        assert stamp.utcoffset() == timedelta(0)
        assert before <= stamp <= datetime.now(UTC)
    # @defaultNow on a nullable field: absent is now, an explicit null stays null (legacy rows)
    assert (
        schemas.QuantumStorySession(session_id="s", user_id="u", created_at=None).created_at is None
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-01 10:00:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),  # SQLite CURRENT_TIMESTAMP
        ("2024-01-01T10:00:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        (datetime(2024, 1, 1, 10), datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T12:00:00+02:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, tzinfo=UTC)),
    ],
)
def test_naive_datetimes_are_read_as_utc(
    schemas: ModuleType, value: object, expected: datetime
) -> None:
    session = schemas.QuantumStorySession(session_id="s", user_id="u", created_at=value)
    assert session.created_at == expected
    assert session.created_at.tzinfo is not None
    snapshot = schemas.ProbabilitySnapshot(time=value, probability=0.5)
    assert snapshot.time == expected


def test_offset_is_kept_not_converted(schemas: ModuleType) -> None:
    stamp = schemas.AntenarrativeFragment(
        text="x", type="memory", timestamp="2024-01-01T12:00:00+02:00"
    ).timestamp
    assert stamp.utcoffset() == timedelta(hours=2)
    assert stamp.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01 10:00:00", [2024]])
def test_bad_datetimes_are_rejected(schemas: ModuleType, value: object) -> None:
    with pytest.raises(ValidationError):
        schemas.AntenarrativeFragment(text="x", type="memory", timestamp=value)


def test_unknown_keys_are_rejected(schemas: ModuleType) -> None:
    # additionalProperties: false in the JSON Schema, extra="forbid" here: a misspelt key
    # must not silently fall back to the field's default
    with pytest.raises(ValidationError, match="probabilty"):
        schemas.QuantumState.model_validate({"state": "x", "probability": 0.5, "probabilty": 0.9})


def test_required_fields_and_min_length(schemas: ModuleType) -> None:
    with pytest.raises(ValidationError, match="user_id"):
        schemas.QuantumStorySession.model_validate({"session_id": "s"})
    with pytest.raises(ValidationError, match="at least 1 character"):
        schemas.AntenarrativeFragment(text="", type="memory")


# -- names hostile to Python (tests/cases/python_names/input.ts) ----------------------------

NAMES_EVENT = {
    "class": "c",
    "from": 0.2,
    "model_config": "m",
    "schema": "s",
    "json": ["j"],
    "copy": "None",
    "dict": {"a": 1.0},
    "fields": ["class", "from"],
    "import": "2024-01-01 10:00:00",
    "global": [{"from": 0.5, "lambda": None}, {"from": 0.52, "lambda": "2024-01-01T00:00:00Z"}],
}


def test_typescript_names_validate_and_dump_back(names: ModuleType) -> None:
    event = names.Event.model_validate(NAMES_EVENT)
    assert (event.class_, event.from_, event.model_config_, event.schema_) == ("c", 0.2, "m", "s")
    assert event.import_ == datetime(2024, 1, 1, 10, tzinfo=UTC)
    dumped = event.model_dump(by_alias=True, mode="json")
    assert set(dumped) == set(NAMES_EVENT)
    assert names.Event.model_validate(dumped) == event


def test_python_names_validate_too(names: ModuleType) -> None:
    event = names.Event(class_="c", from_=0.1, json_=["x"], copy_="from", dict_={"k": 2})
    assert event.model_dump(by_alias=True)["class"] == "c"
    assert event.dict_ == {"k": 2.0}


def test_basemodel_attributes_still_work(names: ModuleType) -> None:
    event = names.Event.model_validate(NAMES_EVENT)
    # the class's own configuration and methods are not shadowed by the fields
    assert names.Event.model_config["extra"] == "forbid"
    assert callable(event.model_copy) and isinstance(event.model_dump_json(by_alias=True), str)
    assert event.model_copy(update={"from_": 0.3}).from_ == 0.3


def test_names_case_rules(names: ModuleType) -> None:
    assert names.Happening is names.Event
    with pytest.raises(ValidationError):
        names.Event.model_validate({**NAMES_EVENT, "from": 2})
    with pytest.raises(ValidationError):
        names.Event.model_validate({**NAMES_EVENT, "copy": "import"})
    # @sum on `global` over the items' `from` (a Python keyword): 0.9 is off 1 by more than 0.05
    with pytest.raises(ValidationError, match=r"from must sum to 1\.0"):
        names.Event.model_validate({**NAMES_EVENT, "global": [{"from": 0.9, "lambda": None}]})
    assert names.Event(class_="c").import_.tzinfo is not None


# -- the file itself ------------------------------------------------------------------------


def test_output_is_deterministic_and_says_nothing_of_when_or_where(spec: Spec) -> None:
    first, second = render_schemas(spec), render_schemas(spec)
    assert first == second
    assert "generated by datamodel-codegen" not in first and "#   timestamp:" not in first
    assert str(ROOT) not in first and "/tmp" not in first
    assert "utcnow" not in first
    assert "import datamodel_code_generator" not in first  # the module stands alone
    assert "@validator" not in first and "from pydantic import validator" not in first


def test_output_is_ruff_clean(spec: Spec) -> None:
    text = render_schemas(spec)
    for args in (
        ["format", "--check", "--line-length", "100"],
        ["check", "--isolated", "--select", "F,E9"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--stdin-filename", "schemas.py", "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
