"""The legacy mapping: `spec/legacy-mapping.json` read, checked and turned into frozen data.

The file says how the Phase 5 database (sessions.dimensions JSON + evidence_log) becomes
narrative streams: which legacy tables and columns are read, dimension code -> stream, and
every conversion rule. The migration target compiles this data into SQL; nothing about the
conversion is written in code. The file is checked here against its own shape and against
the spec (a stream that is not a `StreamId`, a field the model lacks), and every problem is
reported at once as `file:line:col: message`.

Shape (every object may carry `"$comment"` keys, which are ignored):

    version           1
    migration         name, default_database, details_table, quarantine_table
    leave_in_place    tables [...], columns {table: [...]}: legacy data the migration keeps
                      (`codegen diff` does not report it as drift)
    source            sessions {table, id, user_id, created_at, transcript, dimensions},
                      evidence {table, id, session_id, dimension, type, summary, timestamp}
    target            session {model, created_at}, stream {model, kind},
                      state {model, name, probability, history},
                      fragment {model, text, type, time}
    dimensions        CODE -> {stream, title}
    inputs            confidence|score -> {key, words {WORD: number}, missing}
    evidence_only_stream   confidence, score (the inputs of a stream made from evidence alone)
    stream_values     FIELD -> {input, divide_by, subtract_from_one}   (then clamped to 0..1)
    decimal_places    places (rounding of stream values and probabilities)
    states            input, levels [{at_least, name, probability}], remainder {name}
    fragments         types {legacy type: fragment type}, default_type
    timestamps        formats [...], epoch_milliseconds_above, evidence_fallback [...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from codegen.errors import Collector
from codegen.jsonpos import Path, Reader, show
from codegen.relational import table_view
from codegen.spec import Field, Kind, Spec

VERSION = 1
INPUTS = ("confidence", "score")
SESSION_COLUMNS = ("id", "user_id", "created_at", "transcript", "dimensions")
EVIDENCE_COLUMNS = ("id", "session_id", "dimension", "type", "summary", "timestamp")
TARGET_ROLES = {
    "session": ("created_at",),
    "stream": ("kind",),
    "state": ("name", "probability", "history"),
    "fragment": ("text", "type", "time"),
}
NAMED_FORMATS = ("iso8601", "unix_epoch")
FALLBACKS = ("session_created_at", "migration_time")
TITLE = "{title}"
# A fixed-width pattern: the directives and their widths; any other character is literal.
DIRECTIVES = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
_GLOB_SPECIALS = set("*?[]")


@dataclass(frozen=True, slots=True)
class Dimension:
    """A legacy dimension code and the stream it becomes; `title` names it in state names."""

    code: str
    stream: str
    title: str


@dataclass(frozen=True, slots=True)
class Input:
    """A number read from a dimension entry: a JSON number, a numeric string or a word."""

    name: str  # confidence | score
    key: str  # its key inside the entry object
    words: tuple[tuple[str, float], ...]  # upper-case word -> value
    missing: float  # absent, null or ""


@dataclass(frozen=True, slots=True)
class Formula:
    """stream field = clamp(input / divide_by), or clamp(1 - input / divide_by)."""

    field: str
    input: str
    divide_by: float
    subtract_from_one: bool


@dataclass(frozen=True, slots=True)
class Level:
    """The inferred state when the input is >= at_least (None: the last, catch-all level)."""

    at_least: float | None
    name: str  # may hold {title}
    probability: float


@dataclass(frozen=True, slots=True)
class Mapping:
    """The whole legacy mapping, checked."""

    name: str
    default_database: str
    details_table: str  # this migration's own record: logic checksum, backup fingerprint, report
    quarantine_table: str
    sessions_table: str
    sessions: dict[str, str]  # role -> legacy column
    evidence_table: str
    evidence: dict[str, str]
    targets: dict[str, dict[str, str]]  # role -> {"model": ..., field role -> field name}
    dimensions: tuple[Dimension, ...]
    inputs: dict[str, Input]
    evidence_only: dict[str, float]
    formulas: tuple[Formula, ...]
    decimal_places: int
    state_input: str
    levels: tuple[Level, ...]
    remainder_name: str
    fragment_types: tuple[tuple[str, str], ...]  # lower-case legacy type -> fragment type
    default_fragment_type: str
    timestamp_formats: tuple[str, ...]
    epoch_milliseconds_above: float
    evidence_fallback: tuple[str, ...]


def load(data: Any, spec: Spec, file: str, text: str | None = None) -> Mapping:
    """Check the parsed mapping file against its shape and the spec; raise CodegenError."""
    errors = Collector()
    reader = Reader(file, text, errors)
    mapping = _read(reader, data, spec)
    errors.raise_if_any()
    assert mapping is not None
    return mapping


def _entries(value: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in value.items() if not k.startswith("$comment")]


# -- reading ---------------------------------------------------------------------------------


def _read(r: Reader, data: Any, spec: Spec) -> Mapping | None:
    top = (
        "version", "migration", "leave_in_place", "source", "target", "dimensions", "inputs", "evidence_only_stream",
        "stream_values", "decimal_places", "states", "fragments", "timestamps",
    )  # fmt: skip
    if not r.obj(data, (), top):
        return None
    if data["version"] != VERSION:
        r.error(
            ("version",),
            f"unsupported version {data['version']!r} (this codegen reads version {VERSION})",
        )
    migration = _migration(r, data["migration"])
    source = _source(r, data["source"])
    targets = _targets(r, data["target"], spec)
    stream_kind = _enum_values(r, spec, targets, "stream", "kind")
    dimensions = _dimensions(r, data["dimensions"], stream_kind)
    inputs = _inputs(r, data["inputs"])
    evidence_only = _evidence_only(r, data["evidence_only_stream"])
    formulas = _formulas(r, data["stream_values"], spec, targets)
    places = _places(r, data["decimal_places"])
    state_input, levels, remainder = _states(r, data["states"])
    fragment_kind = _enum_values(r, spec, targets, "fragment", "type")
    types, default_type = _fragments(r, data["fragments"], fragment_kind)
    formats, epoch_ms, fallback = _timestamps(r, data["timestamps"])
    _same_sessions_table(r, spec, source, targets)
    _target_links(r, spec, targets)
    _leave_in_place(r, data["leave_in_place"], migration, source)
    if r.errors.items:
        return None
    return Mapping(
        name=migration["name"],
        default_database=migration["default_database"],
        details_table=migration["details_table"],
        quarantine_table=migration["quarantine_table"],
        sessions_table=source["sessions"]["table"],
        sessions={k: v for k, v in source["sessions"].items() if k != "table"},
        evidence_table=source["evidence"]["table"],
        evidence={k: v for k, v in source["evidence"].items() if k != "table"},
        targets=targets,
        dimensions=dimensions,
        inputs=inputs,
        evidence_only=evidence_only,
        formulas=formulas,
        decimal_places=places,
        state_input=state_input,
        levels=levels,
        remainder_name=remainder,
        fragment_types=types,
        default_fragment_type=default_type,
        timestamp_formats=formats,
        epoch_milliseconds_above=epoch_ms,
        evidence_fallback=fallback,
    )


def _migration(r: Reader, value: Any) -> dict[str, str]:
    path = ("migration",)
    keys = ("name", "default_database", "details_table", "quarantine_table")
    if not r.obj(value, path, keys):
        return {}
    return {k: r.string(value[k], (*path, k)) or "" for k in keys}


def _source(r: Reader, value: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if not r.obj(value, ("source",), ("sessions", "evidence")):
        return out
    for name, columns in (("sessions", SESSION_COLUMNS), ("evidence", EVIDENCE_COLUMNS)):
        path = ("source", name)
        if r.obj(value[name], path, ("table", *columns)):
            out[name] = {k: r.string(value[name][k], (*path, k)) or "" for k in ("table", *columns)}
    return out


def _targets(r: Reader, value: Any, spec: Spec) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if not r.obj(value, ("target",), tuple(TARGET_ROLES)):
        return out
    for role, fields in TARGET_ROLES.items():
        path = ("target", role)
        if not r.obj(value[role], path, ("model", *fields)):
            continue
        model_name = r.string(value[role]["model"], (*path, "model"))
        model = next((m for m in spec.models if m.name == model_name), None)
        if model is None or model.table is None:
            r.error(
                (*path, "model"), f"'{model_name}' is not a model stored in a table in the spec"
            )
            continue
        entry = {"model": model.name}
        for f in fields:
            name = r.string(value[role][f], (*path, f))
            if name is not None and _field(spec, model.name, name) is None:
                r.error((*path, f), f"model '{model.name}' has no stored field '{name}'")
            else:
                entry[f] = name or ""
        out[role] = entry
    return out


def _field(spec: Spec, model: str, name: str) -> Field | None:
    view = table_view(spec, model)
    return next((c.field for c in view.field_columns if c.field and c.field.name == name), None)


def _enum_values(
    r: Reader, spec: Spec, targets: dict[str, dict[str, str]], role: str, field: str
) -> tuple[str, ...] | None:
    """The closed vocabulary of a target field (stream kinds, fragment types), if it has one."""
    entry = targets.get(role)
    if not entry or field not in entry:
        return None
    f = _field(spec, entry["model"], entry[field])
    if f is None or f.type.kind is not Kind.ENUM or f.type.name is None:
        r.error(
            ("target", role, field),
            f"'{entry['model']}.{entry[field]}' must be a closed vocabulary (a string-literal union)",
        )
        return None
    return spec.enum(f.type.name).values


def _dimensions(r: Reader, value: Any, streams: tuple[str, ...] | None) -> tuple[Dimension, ...]:
    path: Path = ("dimensions",)
    if not isinstance(value, dict) or not _entries(value):
        r.error(path, "'dimensions' must be an object mapping legacy codes to streams")
        return ()
    out: list[Dimension] = []
    seen_codes: dict[str, str] = {}
    seen_streams: dict[str, str] = {}
    for code, entry in _entries(value):
        p = (*path, code)
        if not r.obj(entry, p, ("stream", "title")):
            continue
        stream, title = (
            r.string(entry["stream"], (*p, "stream")),
            r.string(entry["title"], (*p, "title")),
        )
        if not code.strip() or code != code.strip():
            r.error(
                p, f"dimension code '{code}' must be non-empty without surrounding spaces", key=True
            )
        key = code.upper()  # codes match ignoring case: 'hl' and 'HL' would be one code
        if key in seen_codes:
            r.error(
                p,
                f"dimension code '{code}' repeats '{seen_codes[key]}' (codes match ignoring case)",
                key=True,
            )
        seen_codes[key] = code
        if stream is not None and streams is not None and stream not in streams:
            r.error(
                (*p, "stream"),
                f"'{stream}' is not a stream kind of the spec ({', '.join(streams)})",
            )
        if stream is not None and stream in seen_streams:
            r.error(
                (*p, "stream"),
                f"stream '{stream}' is already the target of '{seen_streams[stream]}'",
            )
        if stream is not None:
            seen_streams[stream] = code
        if stream and title:
            out.append(Dimension(key, stream, title))
    return tuple(out)


def _inputs(r: Reader, value: Any) -> dict[str, Input]:
    out: dict[str, Input] = {}
    if not r.obj(value, ("inputs",), INPUTS):
        return out
    for name in INPUTS:
        p = ("inputs", name)
        if not r.obj(value[name], p, ("key", "words", "missing")):
            continue
        key = r.string(value[name]["key"], (*p, "key"))
        if key is not None and ('"' in key or "\\" in key):  # it goes into a JSON path: $."key"
            r.error((*p, "key"), f"key {key!r} may not hold a double quote or a backslash")
            key = None
        missing = r.number(value[name]["missing"], (*p, "missing"))
        words: list[tuple[str, float]] = []
        raw_words = value[name]["words"]
        if not isinstance(raw_words, dict):
            r.error(
                (*p, "words"), f"{show((*p, 'words'))} must be an object mapping words to numbers"
            )
            raw_words = {}
        for word, number in _entries(raw_words):
            n = r.number(number, (*p, "words", word))
            if not word.strip() or word != word.strip():
                r.error(
                    (*p, "words", word),
                    f"word '{word}' must be non-empty without surrounding spaces",
                    key=True,
                )
            elif any(w == word.upper() for w, _ in words):
                r.error(
                    (*p, "words", word),
                    f"word '{word}' repeats (words match ignoring case)",
                    key=True,
                )
            elif n is not None:
                words.append((word.upper(), n))
        if key is not None and missing is not None:
            out[name] = Input(name, key, tuple(words), missing)
    return out


def _evidence_only(r: Reader, value: Any) -> dict[str, float]:
    path = ("evidence_only_stream",)
    if not r.obj(value, path, INPUTS):
        return {}
    numbers = {name: r.number(value[name], (*path, name)) for name in INPUTS}
    return {k: v for k, v in numbers.items() if v is not None}


def _formulas(
    r: Reader, value: Any, spec: Spec, targets: dict[str, dict[str, str]]
) -> tuple[Formula, ...]:
    path: Path = ("stream_values",)
    if not isinstance(value, dict):
        r.error(path, f"{show(path)} must be an object")
        return ()
    stream_model = targets.get("stream", {}).get("model")
    out = []
    for field_name, rule in _entries(value):
        p = (*path, field_name)
        if stream_model is not None:
            f = _field(spec, stream_model, field_name)
            if f is None or f.type.kind is not Kind.NUMBER:
                r.error(p, f"'{stream_model}' has no number field '{field_name}'", key=True)
        if not r.obj(rule, p, ("input", "divide_by", "subtract_from_one")):
            continue
        source = rule["input"]
        if source not in INPUTS:
            r.error((*p, "input"), f"input must be one of {', '.join(INPUTS)}, not {source!r}")
        divide_by = r.number(rule["divide_by"], (*p, "divide_by"))
        if divide_by == 0:
            r.error((*p, "divide_by"), "divide_by must not be 0")
        subtract = r.boolean(rule["subtract_from_one"], (*p, "subtract_from_one"))
        if source in INPUTS and divide_by and subtract is not None:
            out.append(Formula(field_name, source, divide_by, subtract))
    return tuple(out)


def _places(r: Reader, value: Any) -> int:
    path: Path = ("decimal_places",)
    if not r.obj(value, path, ("places",)):
        return 0
    places = value["places"]
    if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 15:
        r.error((*path, "places"), "'decimal_places.places' must be an integer from 0 to 15")
        return 0
    return places


def _states(r: Reader, value: Any) -> tuple[str, tuple[Level, ...], str]:
    path: Path = ("states",)
    if not r.obj(value, path, ("input", "levels", "remainder")):
        return "", (), ""
    source = value["input"]
    if source not in INPUTS:
        r.error((*path, "input"), f"input must be one of {', '.join(INPUTS)}, not {source!r}")
    levels: list[Level] = []
    raw = value["levels"]
    if not isinstance(raw, list) or not raw:
        r.error((*path, "levels"), "'states.levels' must be a non-empty list")
        raw = []
    for i, level in enumerate(raw):
        p = (*path, "levels", i)
        if not r.obj(level, p, ("at_least", "name", "probability")):
            continue
        last = i == len(raw) - 1
        at_least = (
            None if level["at_least"] is None else r.number(level["at_least"], (*p, "at_least"))
        )
        if last != (level["at_least"] is None):
            r.error(
                (*p, "at_least"),
                'only the last level, and it always, has "at_least": null (the catch-all)',
            )
        if (
            at_least is not None
            and levels
            and levels[-1].at_least is not None
            and at_least >= levels[-1].at_least
        ):
            r.error((*p, "at_least"), "levels must be in decreasing order of at_least")
        name = r.string(level["name"], (*p, "name"))
        probability = r.number(level["probability"], (*p, "probability"))
        if probability is not None and not 0 < probability <= 1:
            r.error((*p, "probability"), "probability must be in (0, 1]")
        if name is not None:
            _check_name(r, name, (*p, "name"))
        if name and probability is not None:
            levels.append(Level(at_least, name, probability))
    remainder = ""
    if r.obj(value["remainder"], (*path, "remainder"), ("name",)):
        remainder = r.string(value["remainder"]["name"], (*path, "remainder", "name")) or ""
        _check_name(r, remainder, (*path, "remainder", "name"))
    return source, tuple(levels), remainder


def _check_name(r: Reader, name: str, path: Path) -> None:
    rest = name.replace(TITLE, "")
    if "{" in rest or "}" in rest:
        r.error(path, f"state name '{name}' may hold only the placeholder {TITLE}")


def _fragments(
    r: Reader, value: Any, kinds: tuple[str, ...] | None
) -> tuple[tuple[tuple[str, str], ...], str]:
    path: Path = ("fragments",)
    if not r.obj(value, path, ("types", "default_type")):
        return (), ""
    out: list[tuple[str, str]] = []
    if not isinstance(value["types"], dict):
        r.error(
            (*path, "types"),
            "'fragments.types' must be an object mapping legacy types to fragment types",
        )
    else:
        for legacy, kind in _entries(value["types"]):
            p = (*path, "types", legacy)
            if any(existing == legacy.strip().lower() for existing, _ in out):
                r.error(
                    p,
                    f"legacy type '{legacy}' repeats (types match ignoring case and spaces)",
                    key=True,
                )
            if _fragment_kind(r, kind, p, kinds):
                out.append((legacy.strip().lower(), kind))
    default = value["default_type"]
    _fragment_kind(r, default, (*path, "default_type"), kinds)
    return tuple(out), default if isinstance(default, str) else ""


def _fragment_kind(r: Reader, kind: Any, path: Path, kinds: tuple[str, ...] | None) -> bool:
    if r.string(kind, path) is None:
        return False
    if kinds is not None and kind not in kinds:
        r.error(path, f"'{kind}' is not a fragment type of the spec ({', '.join(kinds)})")
        return False
    return True


def _timestamps(r: Reader, value: Any) -> tuple[tuple[str, ...], float, tuple[str, ...]]:
    path: Path = ("timestamps",)
    if not r.obj(value, path, ("formats", "epoch_milliseconds_above", "evidence_fallback")):
        return (), 0.0, ()
    formats: list[str] = []
    if not isinstance(value["formats"], list) or not value["formats"]:
        r.error((*path, "formats"), "'timestamps.formats' must be a non-empty list")
    else:
        for i, fmt in enumerate(value["formats"]):
            if r.string(fmt, (*path, "formats", i)) is None:
                continue
            problem = None if fmt in NAMED_FORMATS else pattern_problem(fmt)
            if problem:
                r.error((*path, "formats", i), problem)
            else:
                formats.append(fmt)
    epoch_ms = (
        r.number(value["epoch_milliseconds_above"], (*path, "epoch_milliseconds_above")) or 0.0
    )
    fallback: list[str] = []
    if not isinstance(value["evidence_fallback"], list):
        r.error((*path, "evidence_fallback"), "'timestamps.evidence_fallback' must be a list")
    else:
        for i, item in enumerate(value["evidence_fallback"]):
            if item not in FALLBACKS:
                r.error(
                    (*path, "evidence_fallback", i),
                    f"fallback must be one of {', '.join(FALLBACKS)}, not {item!r}",
                )
            else:
                fallback.append(item)
    if "migration_time" not in fallback:  # the fragment column is NOT NULL: something must fill it
        r.error(
            (*path, "evidence_fallback"),
            "'timestamps.evidence_fallback' must end in \"migration_time\"",
        )
    return tuple(formats), epoch_ms, tuple(fallback)


def pattern_problem(fmt: str) -> str | None:
    """Why a fixed-width pattern like "%d/%m/%Y %H:%M" cannot be used, or None."""
    seen = re.findall(r"%(.)", fmt)
    for directive in seen:
        if directive not in DIRECTIVES:
            return f"unknown directive '%{directive}' in '{fmt}' (use {', '.join('%' + d for d in DIRECTIVES)}, or iso8601, unix_epoch)"
    if len(seen) != len(set(seen)):
        return f"a directive repeats in '{fmt}'"
    if not {"Y", "m", "d"} <= set(seen):
        return f"'{fmt}' needs %Y, %m and %d"
    if _GLOB_SPECIALS & set(re.sub(r"%.", "", fmt)):
        return f"'{fmt}' may not hold the characters * ? [ ]"
    return None


def _same_sessions_table(
    r: Reader, spec: Spec, source: dict[str, dict[str, str]], targets: dict[str, dict[str, str]]
) -> None:
    """The migration keeps sessions where they are: the target session table is the legacy one."""
    if "sessions" not in source or "session" not in targets:
        return
    view = table_view(spec, targets["session"]["model"])
    if view.name != source["sessions"]["table"]:
        r.error(
            ("source", "sessions", "table"),
            f"the session model is stored in '{view.name}', not '{source['sessions']['table']}'",
        )
    elif view.key_column != source["sessions"]["id"]:
        r.error(
            ("source", "sessions", "id"),
            f"'{view.name}' is keyed by '{view.key_column}', not '{source['sessions']['id']}'",
        )
    else:
        created = _field(spec, view.model.name, targets["session"].get("created_at", ""))
        if created is not None and created.column != source["sessions"]["created_at"]:
            r.error(("target", "session", "created_at"), f"'{view.model.name}.{created.name}' is stored in '{created.column}', "
                    f"not in the legacy '{source['sessions']['created_at']}'")  # fmt: skip


def _leave_in_place(
    r: Reader, value: Any, migration: dict[str, str], source: dict[str, dict[str, str]]
) -> None:
    """What stays beside the new schema on purpose must be listed, so `codegen diff` skips it."""
    path: Path = ("leave_in_place",)
    if not r.obj(value, path, ("tables", "columns")):
        return
    tables, columns = value["tables"], value["columns"]
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        r.error((*path, "tables"), "'leave_in_place.tables' must be a list of table names")
        return
    if not isinstance(columns, dict) or not all(
        isinstance(c, list) and all(isinstance(x, str) for x in c) for _, c in _entries(columns)
    ):
        r.error(
            (*path, "columns"), "'leave_in_place.columns' must map table names to lists of columns"
        )
        return
    needed = [source.get("evidence", {}).get("table"), migration.get("quarantine_table")]
    for table in needed:
        if table and table not in tables:
            r.error(
                (*path, "tables"),
                f"'leave_in_place.tables' must list '{table}': the migration keeps it",
            )
    sessions = source.get("sessions", {})
    if sessions and sessions["dimensions"] not in columns.get(sessions["table"], []):
        r.error(
            (*path, "columns"),
            f"'leave_in_place.columns' must list {sessions['table']}: [\"{sessions['dimensions']}\"]",
        )


def _target_links(r: Reader, spec: Spec, targets: dict[str, dict[str, str]]) -> None:
    """Streams belong to sessions, states and fragments to streams, as @foreignKey fields."""
    for child, parent in (("stream", "session"), ("state", "stream"), ("fragment", "stream")):
        if child not in targets or parent not in targets:
            continue
        link = table_view(spec, targets[child]["model"]).parent
        if link is None or link.parent != targets[parent]["model"]:
            r.error(("target", child, "model"), f"'{targets[child]['model']}' must be stored as a child "
                    f"of '{targets[parent]['model']}' (a @foreignKey field on it) in the spec")  # fmt: skip
