"""The intermediate representation: a schema as plain, frozen data.

The parser turns a TypeScript file into a `Spec`; every target renders from a `Spec` alone.
`to_dict()` is what `spec/*.spec.json` holds: stable key order, no source positions, so
reformatting the TypeScript file does not change it. `from_dict(to_dict(s)) == s`.

The spec is dialect-neutral: it says "this field is stored in table T, column C, its rows
belong to parent P", never how SQLite or PostgreSQL spell that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SPEC_VERSION = 1


class Kind(StrEnum):
    """What a type is, independent of any target language."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ENUM = "enum"  # a named closed vocabulary (string-literal union or string enum)
    MODEL = "model"  # a named object type
    ARRAY = "array"
    RECORD = "record"  # Record<string, T>: an object with arbitrary string keys


class OnDelete(StrEnum):
    """What happens to child rows when their parent row is deleted."""

    CASCADE = "cascade"
    RESTRICT = "restrict"
    SET_NULL = "set null"
    NO_ACTION = "no action"


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based source position, for error messages only."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_POS = Pos("<spec>", 0, 0)


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A reference to a type: a primitive, a named enum or model, or a container of one."""

    kind: Kind
    name: str | None = None  # ENUM and MODEL: the referenced type's name
    item: TypeRef | None = None  # ARRAY and RECORD: the element type

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value}
        if self.name is not None:
            out["name"] = self.name
        if self.item is not None:
            out["item"] = self.item.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TypeRef:
        item = d.get("item")
        return cls(Kind(d["kind"]), d.get("name"), cls.from_dict(item) if item else None)


@dataclass(frozen=True, slots=True)
class SumRule:
    """The items of an array field have a number field that sums to `total` (+- tolerance)."""

    field: str
    total: float
    tolerance: float


@dataclass(frozen=True, slots=True)
class Constraints:
    """Value constraints, named as in JSON Schema. `default` is canonical JSON text."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    default: str | None = None  # JSON text, e.g. '0.5', '"INVOCATION"', '[]'
    default_now: bool = False  # a datetime defaulting to the current time
    sum: SumRule | None = None

    @property
    def default_value(self) -> Any:
        return None if self.default is None else json.loads(self.default)

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.default_now


@dataclass(frozen=True, slots=True)
class Storage:
    """How a field is stored: column name and keys. Child relations live on the parent field."""

    column: str | None = None  # None: the field's own name
    primary_key: bool = False
    unique: bool = False
    index: str | None = None  # index name, when the column is indexed
    foreign_key: str | None = None  # on a field holding child rows: the child's FK column
    on_delete: OnDelete | None = None
    renamed_from: str | None = None  # the column's previous name (a rename, not drop + add)


@dataclass(frozen=True, slots=True)
class Field:
    """One property of a model."""

    name: str  # the TypeScript name, also the JSON key
    type: TypeRef
    optional: bool = False  # may be absent (`?` or `| undefined`)
    nullable: bool = False  # may be null (`| null`)
    doc: str = ""
    constraints: Constraints = Constraints()
    storage: Storage = Storage()
    pos: Pos = field(default=NO_POS, compare=False, repr=False)

    @property
    def column(self) -> str:
        return self.storage.column or self.name


@dataclass(frozen=True, slots=True)
class Index:
    """A named index on one or more columns."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """Where a model's rows are stored."""

    name: str
    existing_columns: tuple[str, ...] = ()  # non-empty: the table predates this schema
    created_at: str | None = None  # storage-only timestamp columns
    updated_at: str | None = None
    uniques: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[Index, ...] = ()


@dataclass(frozen=True, slots=True)
class Model:
    """An object type: an interface (with `extends` flattened) or a hoisted inline object."""

    name: str
    fields: tuple[Field, ...]
    doc: str = ""
    bases: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    table: Table | None = None
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EnumType:
    """A closed vocabulary of strings, in source order."""

    name: str
    values: tuple[str, ...]
    doc: str = ""
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole schema: its vocabularies and models, in source order."""

    enums: tuple[EnumType, ...]
    models: tuple[Model, ...]

    def enum(self, name: str) -> EnumType:
        return next(e for e in self.enums if e.name == name)

    def model(self, name: str) -> Model:
        return next(m for m in self.models if m.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "enums": [_enum_to_dict(e) for e in self.enums],
            "models": [_model_to_dict(m) for m in self.models],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Spec:
        if d.get("version") != SPEC_VERSION:
            raise ValueError(f"unsupported spec version {d.get('version')!r}")
        return cls(
            enums=tuple(
                EnumType(e["name"], tuple(e["values"]), e.get("doc", "")) for e in d["enums"]
            ),
            models=tuple(_model_from_dict(m) for m in d["models"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value, used for defaults and hashes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# -- dict conversion: explicit, so the file format is visible in one place ------------------


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    # identity for None/False: `0 in (False,)` is true, and a bound of 0 must survive
    return {
        k: v for k, v in d.items() if v is not None and v is not False and v not in ("", [], {})
    }


def _enum_to_dict(e: EnumType) -> dict[str, Any]:
    return _drop_empty({"name": e.name, "doc": e.doc, "values": list(e.values)})


def _constraints_to_dict(c: Constraints) -> dict[str, Any]:
    d = {
        "minimum": c.minimum,
        "maximum": c.maximum,
        "exclusiveMinimum": c.exclusive_minimum,
        "exclusiveMaximum": c.exclusive_maximum,
        "minLength": c.min_length,
        "maxLength": c.max_length,
        "pattern": c.pattern,
        "format": c.format,
        "minItems": c.min_items,
        "maxItems": c.max_items,
        "defaultNow": c.default_now,
    }
    out = _drop_empty(d)
    if c.default is not None:
        out["default"] = c.default_value
    if c.sum is not None:
        out["sum"] = {"field": c.sum.field, "total": c.sum.total, "tolerance": c.sum.tolerance}
    return out


def _constraints_from_dict(d: dict[str, Any]) -> Constraints:
    s = d.get("sum")
    return Constraints(
        minimum=d.get("minimum"),
        maximum=d.get("maximum"),
        exclusive_minimum=d.get("exclusiveMinimum"),
        exclusive_maximum=d.get("exclusiveMaximum"),
        min_length=d.get("minLength"),
        max_length=d.get("maxLength"),
        pattern=d.get("pattern"),
        format=d.get("format"),
        min_items=d.get("minItems"),
        max_items=d.get("maxItems"),
        default=canonical_json(d["default"]) if "default" in d else None,
        default_now=d.get("defaultNow", False),
        sum=SumRule(s["field"], s["total"], s["tolerance"]) if s else None,
    )


def _storage_to_dict(s: Storage) -> dict[str, Any]:
    return _drop_empty(
        {
            "column": s.column,
            "primaryKey": s.primary_key,
            "unique": s.unique,
            "index": s.index,
            "foreignKey": s.foreign_key,
            "onDelete": s.on_delete.value if s.on_delete else None,
            "renamedFrom": s.renamed_from,
        }
    )


def _storage_from_dict(d: dict[str, Any]) -> Storage:
    return Storage(
        column=d.get("column"),
        primary_key=d.get("primaryKey", False),
        unique=d.get("unique", False),
        index=d.get("index"),
        foreign_key=d.get("foreignKey"),
        on_delete=OnDelete(d["onDelete"]) if d.get("onDelete") else None,
        renamed_from=d.get("renamedFrom"),
    )


def _field_to_dict(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type.to_dict()}
    out.update(_drop_empty({"optional": f.optional, "nullable": f.nullable, "doc": f.doc}))
    if c := _constraints_to_dict(f.constraints):
        out["constraints"] = c
    if s := _storage_to_dict(f.storage):
        out["storage"] = s
    return out


def _field_from_dict(d: dict[str, Any]) -> Field:
    return Field(
        name=d["name"],
        type=TypeRef.from_dict(d["type"]),
        optional=d.get("optional", False),
        nullable=d.get("nullable", False),
        doc=d.get("doc", ""),
        constraints=_constraints_from_dict(d.get("constraints", {})),
        storage=_storage_from_dict(d.get("storage", {})),
    )


def _table_to_dict(t: Table) -> dict[str, Any]:
    return _drop_empty(
        {
            "name": t.name,
            "existingColumns": list(t.existing_columns),
            "createdAt": t.created_at,
            "updatedAt": t.updated_at,
            "uniques": [list(u) for u in t.uniques],
            "indexes": [
                _drop_empty({"name": i.name, "columns": list(i.columns), "unique": i.unique})
                for i in t.indexes
            ],
        }
    )


def _table_from_dict(d: dict[str, Any]) -> Table:
    return Table(
        name=d["name"],
        existing_columns=tuple(d.get("existingColumns", ())),
        created_at=d.get("createdAt"),
        updated_at=d.get("updatedAt"),
        uniques=tuple(tuple(u) for u in d.get("uniques", ())),
        indexes=tuple(
            Index(i["name"], tuple(i["columns"]), i.get("unique", False))
            for i in d.get("indexes", ())
        ),
    )


def _model_to_dict(m: Model) -> dict[str, Any]:
    out: dict[str, Any] = {"name": m.name}
    out.update(_drop_empty({"doc": m.doc, "bases": list(m.bases), "aliases": list(m.aliases)}))
    if m.table is not None:
        out["table"] = _table_to_dict(m.table)
    out["fields"] = [_field_to_dict(f) for f in m.fields]
    return out


def _model_from_dict(d: dict[str, Any]) -> Model:
    return Model(
        name=d["name"],
        fields=tuple(_field_from_dict(f) for f in d["fields"]),
        doc=d.get("doc", ""),
        bases=tuple(d.get("bases", ())),
        aliases=tuple(d.get("aliases", ())),
        table=_table_from_dict(d["table"]) if "table" in d else None,
    )
