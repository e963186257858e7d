"""The relational reading of a spec: tables, columns and parent links, dialect-neutral.

Every storage target (SQL, database helpers, migration, ER diagram) asks this module what
is stored where; none of them re-derives it. Rules:
- a model with a table is stored as rows; a field whose type is such a model (or an array of
  it) is a child relation, not a column: the child table gets a foreign-key column;
- every other field is one column (arrays, records and table-less models as JSON text);
- a table without a `@primaryKey` field gets a surrogate integer key `id`.
Column order: key, parent foreign key, fields in source order, then created/updated stamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from codegen.spec import Field, Kind, Model, OnDelete, Spec, Table, TypeRef

SURROGATE_KEY = "id"


class ColumnRole(StrEnum):
    """Why a column exists."""

    SURROGATE_KEY = "surrogate_key"  # integer id, not a model field
    PARENT_KEY = "parent_key"  # foreign key to the parent table
    FIELD = "field"  # holds a model field
    CREATED_AT = "created_at"  # storage-only stamps
    UPDATED_AT = "updated_at"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table. `field` is set for FIELD columns (and a field primary key)."""

    name: str
    role: ColumnRole
    field: Field | None = None
    primary_key: bool = False
    references: Relation | None = None  # PARENT_KEY columns

    @property
    def type(self) -> TypeRef | None:
        return self.field.type if self.field else None


@dataclass(frozen=True, slots=True)
class Relation:
    """A parent-child link: rows of `child` belong to a row of `parent` via `column`."""

    parent: str  # parent model name
    parent_field: str  # the parent's field holding the children
    child: str  # child model name
    column: str  # FK column in the child table
    on_delete: OnDelete
    many: bool  # an array of children (else at most one: the FK column is UNIQUE)
    nullable: bool  # the parent field may be null (a single optional child)


def is_table_model(spec: Spec, ref: TypeRef) -> bool:
    """True when `ref` (or its array item) names a model stored in a table."""
    target = ref.item if ref.kind is Kind.ARRAY and ref.item else ref
    if target.kind is not Kind.MODEL or target.name is None:
        return False
    return spec.model(target.name).table is not None


def child_model_name(ref: TypeRef) -> str:
    target = ref.item if ref.kind is Kind.ARRAY and ref.item else ref
    assert target.name is not None
    return target.name


@dataclass(frozen=True)
class TableView:
    """A model stored in a table, with everything a storage target needs."""

    spec: Spec
    model: Model

    @property
    def table(self) -> Table:
        assert self.model.table is not None
        return self.model.table

    @property
    def name(self) -> str:
        return self.table.name

    @cached_property
    def parent(self) -> Relation | None:
        """The relation in which this table is the child, if any."""
        for rel in relations(self.spec):
            if rel.child == self.model.name:
                return rel
        return None

    @cached_property
    def children(self) -> tuple[Relation, ...]:
        return tuple(r for r in relations(self.spec) if r.parent == self.model.name)

    @cached_property
    def key_field(self) -> Field | None:
        return next((f for f in self.model.fields if f.storage.primary_key), None)

    @property
    def key_column(self) -> str:
        return self.key_field.column if self.key_field else SURROGATE_KEY

    @cached_property
    def field_columns(self) -> tuple[Column, ...]:
        return tuple(
            Column(f.column, ColumnRole.FIELD, f, primary_key=f.storage.primary_key)
            for f in self.model.fields
            if not is_table_model(self.spec, f.type)
        )

    @cached_property
    def columns(self) -> tuple[Column, ...]:
        cols: list[Column] = []
        if self.key_field is None:
            cols.append(Column(SURROGATE_KEY, ColumnRole.SURROGATE_KEY, primary_key=True))
        if self.parent is not None:
            cols.append(Column(self.parent.column, ColumnRole.PARENT_KEY, references=self.parent))
        cols.extend(self.field_columns)
        if self.table.created_at:
            cols.append(Column(self.table.created_at, ColumnRole.CREATED_AT))
        if self.table.updated_at:
            cols.append(Column(self.table.updated_at, ColumnRole.UPDATED_AT))
        return tuple(cols)

    @property
    def parent_table(self) -> TableView | None:
        return table_view(self.spec, self.parent.parent) if self.parent else None

    @property
    def is_existing(self) -> bool:
        """The table predates the schema: new columns arrive by ALTER TABLE."""
        return bool(self.table.existing_columns)

    @property
    def added_columns(self) -> tuple[Column, ...]:
        """Columns an existing table lacks (empty for a new table)."""
        if not self.is_existing:
            return ()
        return tuple(c for c in self.columns if c.name not in self.table.existing_columns)


def relations(spec: Spec) -> tuple[Relation, ...]:
    """Every parent-child link, in source order of the parent fields."""
    out = []
    for model in spec.models:
        for f in model.fields:
            if model.table is None or not is_table_model(spec, f.type):
                continue
            assert f.storage.foreign_key is not None  # validate.py guarantees it
            out.append(
                Relation(
                    parent=model.name,
                    parent_field=f.name,
                    child=child_model_name(f.type),
                    column=f.storage.foreign_key,
                    on_delete=f.storage.on_delete or OnDelete.CASCADE,
                    many=f.type.kind is Kind.ARRAY,
                    nullable=f.nullable,
                )
            )
    return tuple(out)


def table_view(spec: Spec, model_name: str) -> TableView:
    return TableView(spec, spec.model(model_name))


def tables(spec: Spec) -> tuple[TableView, ...]:
    """Every table, parents before children (the order to create them in)."""
    views = [TableView(spec, m) for m in spec.models if m.table is not None]
    ordered: list[TableView] = []
    placed: set[str] = set()
    while len(ordered) < len(views):
        progressed = False
        for v in views:
            if v.model.name in placed:
                continue
            if v.parent is None or v.parent.parent in placed:
                ordered.append(v)
                placed.add(v.model.name)
                progressed = True
        if not progressed:  # a cycle; validate.py reports it, keep the rest deterministic
            ordered.extend(v for v in views if v.model.name not in placed)
            break
    return tuple(ordered)


def root_tables(spec: Spec) -> tuple[TableView, ...]:
    """Tables that are nobody's child: the aggregates' roots."""
    return tuple(v for v in tables(spec) if v.parent is None)
