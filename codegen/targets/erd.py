"""`schema.md`: a Mermaid ER diagram of the tables and a line on each."""

from __future__ import annotations

from codegen.relational import ColumnRole, TableView, tables
from codegen.render import Context, render_template
from codegen.spec import Kind, Spec

# Mermaid attribute types: one word, no punctuation; the SQL type is the reader's concern.
ERD_TYPES = {
    Kind.STRING: "string",
    Kind.NUMBER: "float",
    Kind.BOOLEAN: "boolean",
    Kind.DATETIME: "timestamp",
    Kind.ENUM: "enum",
    Kind.ARRAY: "json",
    Kind.RECORD: "json",
    Kind.MODEL: "json",
}
# Mermaid crow's-foot cardinality, parent side then child side.
CARDINALITY = {True: "||--o{", False: "||--o|"}


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    views = tables(spec)
    return {
        "schema.md": render_template(
            "erd/schema.md.j2",
            source=ctx.source,
            tables=[_table(v) for v in views],
            relations=[
                {
                    "parent": v.parent_table.name,
                    "child": v.name,
                    "cardinality": CARDINALITY[v.parent.many],
                    "label": f"{v.parent.parent_field} ({v.parent.column}, on delete {v.parent.on_delete.value})",
                }
                for v in views
                if v.parent is not None
            ],
        )
    }


def _table(view: TableView) -> dict:
    columns = []
    for c in view.columns:
        if c.role is ColumnRole.SURROGATE_KEY:
            kind, key = "integer", "PK"
        elif c.role is ColumnRole.PARENT_KEY:
            parent_key = view.parent_table.key_field
            kind, key = (ERD_TYPES[parent_key.type.kind] if parent_key else "integer"), "FK"
        elif c.field is None:
            kind, key = "timestamp", ""
        else:
            kind, key = ERD_TYPES[c.field.type.kind], ("PK" if c.primary_key else "")
        note = c.field.doc if c.field else ""
        columns.append({"type": kind, "name": c.name, "key": key, "note": note.replace('"', "'")})
    return {
        "name": view.name,
        "model": view.model.name,
        "doc": view.model.doc,
        "existing": view.is_existing,
        "columns": columns,
    }
