"""`database.py`: the SQLite access layer (connect, apply_schema, one helper per relation).

The view model holds, per table, the SQL the generated code runs and how each column is
encoded (json, datetime, bool or plain), and per parent-child relation one public helper
with its docstring; the template only loops. Tables, columns and relations come from
`codegen.relational`; the DDL comes from `codegen.targets.sqlite.statements`, as data.

Helper names and kinds come from the spec, one helper per relation (parent field):

    at most one child (`T | null`)             set_<child table>(conn, parent, item)
                                               upsert of the one row (None removes it)
    many, the parent field has a list rule     update_<child table>(conn, parent, items)
      (@sum, @minItems, @maxItems)             replaces the list: a rule about the whole
                                               list can only be checked on the whole list
    many, identified within the parent by a    create_<child model>(conn, parent, *key, **fields)
      UNIQUE (parent key, field columns...)
    many, otherwise                            add_<child model>(conn, parent, item)
    and per root table                         save_<root>(conn, obj), load_<root>(conn, key)

`parent` is named after the foreign-key column; `item`/`items` after the last word of the
child model's name (one) or of the child table's name (a list): `fragment`, `states`.
"""

from __future__ import annotations

import keyword
import re
import textwrap

from codegen.errors import CodegenError, Diagnostic
from codegen.migrate import HISTORY_DDL, HISTORY_TABLE
from codegen.relational import Relation, TableView, root_tables, table_view, tables
from codegen.render import Context, py_literal, render_template, sql_ident
from codegen.spec import Field, Kind, Spec
from codegen.targets.sqlite import statements

OUTPUT = "database.py"

# How a column's value travels between the Pydantic model and SQLite (names of the generated
# module's codecs). Arrays, records and table-less models are JSON text.
CODECS = {
    Kind.STRING: "_PLAIN",
    Kind.NUMBER: "_PLAIN",
    Kind.ENUM: "_PLAIN",
    Kind.BOOLEAN: "_BOOL",
    Kind.DATETIME: "_DATETIME",
    Kind.ARRAY: "_JSON",
    Kind.RECORD: "_JSON",
    Kind.MODEL: "_JSON",
}
# Annotations of parameters that are not whole models (keys, create_'s key fields).
PY_TYPES = {
    Kind.STRING: "str",
    Kind.NUMBER: "float",
    Kind.ENUM: "str",
    Kind.BOOLEAN: "bool",
    Kind.DATETIME: "datetime",
    Kind.ARRAY: "list[Any]",
    Kind.RECORD: "dict[str, Any]",
    Kind.MODEL: "dict[str, Any]",
}
# Names a helper's parameters must not take: the connection, create_'s **fields, the module.
RESERVED_PARAMS = frozenset({"conn", "fields", "schemas"})
ALIAS = "t"  # the selected table in select_tree; its ancestors are p1, p2, ...
DOC_WIDTH = 88  # docstring lines, indented by 4 in the generated file
SQL_WIDTH = 80  # pieces of a long SQL string literal
SQL_CLAUSE = r"(?<= )(?=(?:VALUES|ON CONFLICT|DO UPDATE|FROM|JOIN|WHERE|ORDER BY) )"


def render(spec: Spec, ctx: Context) -> dict[str, str]:
    # rendered even when no model has a table: `connect` and `apply_schema` still import
    return {OUTPUT: render_template("database/database.py.j2", **view_model(spec, ctx))}


def view_model(spec: Spec, ctx: Context) -> dict:
    """Everything the template prints, precomputed."""
    helpers = [_relation_helper(spec, v) for v in tables(spec) if v.parent is not None]
    for root in root_tables(spec):
        helpers.extend(_root_helpers(spec, root))
    _check_unique_names(helpers)
    return {
        "source": ctx.source,
        "statements": [
            {"sql": _py_text(s.sql), "adds": py_literal(s.adds_column) if s.adds_column else None}
            for s in statements(spec)
        ],
        "tables": [_table_vm(spec, v) for v in tables(spec)],
        "helpers": helpers,
        # A new database gets the latest schema at once: its migration history says so.
        "history_ddl": _py_text(HISTORY_DDL),
        "history_insert": py_literal(
            f'INSERT INTO {sql_ident(HISTORY_TABLE)} ("name", "checksum") VALUES (?, ?)'
        ),
        "migrations": [
            py_literal((step.name, step.checksum)) for step in ctx.extra.get("steps", ())
        ],
    }


# -- tables ------------------------------------------------------------------------------------


def _table_vm(spec: Spec, view: TableView) -> dict:
    fields = [sql_ident(c.name) for c in view.field_columns]
    key, t = sql_ident(view.key_column), sql_ident(view.name)
    fk = sql_ident(view.parent.column) if view.parent else None
    insert_cols = ([fk] if fk else []) + fields
    if insert_cols:
        insert = f"INSERT INTO {t} ({', '.join(insert_cols)}) VALUES ({', '.join('?' * len(insert_cols))})"
    else:
        insert = f"INSERT INTO {t} DEFAULT VALUES"
    if view.parent is None and view.key_field is not None:
        # UPSERT, never INSERT OR REPLACE: REPLACE deletes the row, and the delete cascades
        # to every child; the SET list names model columns only, so legacy columns survive.
        rest = [sql_ident(c.name) for c in view.field_columns if not c.primary_key]
        action = (
            "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in rest) if rest else "NOTHING"
        )
        insert += f" ON CONFLICT ({key}) DO {action}"
    sql = {
        "insert": insert,
        "fetch": f"SELECT {', '.join([key, *fields])} FROM {t} WHERE {key} = ?",
        "update": f"UPDATE {t} SET {', '.join(f'{c} = ?' for c in fields)} WHERE {key} = ?"
        if fields
        else None,
        "find": f"SELECT {key} FROM {t} WHERE {fk} = ?" if fk else None,
        "delete": f"DELETE FROM {t} WHERE {fk} = ?" if fk else None,
        "select_tree": _select_tree(view),
    }
    return {
        "name": view.name,
        "label": _label(view.model.name),
        "key": view.key_field.name if view.key_field else None,
        "key_column": view.key_column,
        "parent": view.parent.column if view.parent else None,
        "columns": [
            {
                "field": c.field.name,
                "codec": CODECS[c.field.type.kind],
                "nullable": c.field.nullable,
            }
            for c in view.field_columns
            if c.field is not None
        ],
        "children": [
            {
                "field": r.parent_field,
                "table": table_view(spec, r.child).name,
                "many": r.many,
                "nullable": r.nullable,
            }
            for r in view.children
        ],
        # Jinja would read `t.update` as dict.update: the SQL travels under its own key
        "sql": {name: _py_sql(text) for name, text in sql.items()},
        "tree": [v.name for v in _subtree(spec, view)] if view.parent is None else [],
        "expected_columns": [c.name for c in view.columns],
    }


def _select_tree(view: TableView) -> str:
    """(row key, parent key, field columns...) of every row under one root key, oldest first.

    A child table joins up its ancestors to the root's direct child, whose foreign key is
    the root key: one query per table, whatever the number of rows.
    """
    a = sql_ident(ALIAS)
    key = f"{a}.{sql_ident(view.key_column)}"
    parent = f"{a}.{sql_ident(view.parent.column)}" if view.parent else "NULL"
    selected = ", ".join([key, parent, *(f"{a}.{sql_ident(c.name)}" for c in view.field_columns)])
    sql = f"SELECT {selected} FROM {sql_ident(view.name)} AS {a}"
    if view.parent is None:
        return sql + f" WHERE {key} = ?"
    alias, current, depth = a, view, 0
    while current.parent_table is not None and current.parent_table.parent is not None:
        depth += 1
        up, parent_view = sql_ident(f"p{depth}"), current.parent_table
        sql += (
            f" JOIN {sql_ident(parent_view.name)} AS {up}"
            f" ON {up}.{sql_ident(parent_view.key_column)} = {alias}.{sql_ident(current.parent.column)}"
        )
        alias, current = up, parent_view
    # insertion order: the surrogate key only grows (AUTOINCREMENT); a table keyed by a field
    # is still a rowid table, and its rowid grows the same way
    order = key if view.key_field is None else f"{a}.{sql_ident('rowid')}"
    return sql + f" WHERE {alias}.{sql_ident(current.parent.column)} = ? ORDER BY {order}"


def _subtree(spec: Spec, root: TableView) -> list[TableView]:
    """The root and every table below it, parents before children."""
    below = {root.model.name}
    out = [root]
    for v in tables(spec):  # already parents first
        if v.parent is not None and v.parent.parent in below:
            below.add(v.model.name)
            out.append(v)
    return out


# -- helpers -----------------------------------------------------------------------------------


def _relation_helper(spec: Spec, child: TableView) -> dict:
    rel, parent = child.parent, child.parent_table
    assert rel is not None and parent is not None
    parent_field = next(f for f in parent.model.fields if f.name == rel.parent_field)
    parent_param = _py_name(rel.column)
    label, parent_label = _label(child.model.name), _label(parent.model.name)
    where = f"the {parent_label} `{parent_param}`"
    below = _below(spec, child)
    h = {
        "parent_param": parent_param,
        "parent_type": _key_type(parent),
        "parent_table": parent.name,
        "parent_model": parent.model.name,
        "parent_field": rel.parent_field,
        "table": child.name,
        "model": child.model.name,
        "id_type": _key_type(child),
        "pos": parent_field.pos,
    }
    taken = {parent_param}
    c = parent_field.constraints
    if not rel.many:
        h |= {"kind": "set", "name": "set_" + _py_name(child.name), "nullable": rel.nullable}
        h["param"] = _param(_snake(child.model.name), taken)
        h["doc"] = _doc(
            f"Set the {label} of {where}; return its id.",
            f"Updates the row in place when there is one (its id and created stamp stay), else "
            f"inserts it{'; None deletes it' if rel.nullable else ''}."
            + (f" Its {below} are replaced by the given ones." if below else ""),
        )
    elif c.sum is not None or c.min_items is not None or c.max_items is not None:
        h |= {"kind": "replace", "name": "update_" + _py_name(child.name)}
        h["param"] = _param(_py_name(child.name), taken)
        h["doc"] = _doc(
            f"Replace every {label} of {where}; return the new ids.",
            f"The list is validated as {parent.model.name}.{rel.parent_field} together with the "
            f"{parent_label}'s stored fields, so the model's rules about the whole list hold for "
            "what is written.",
        )
    elif keys := _natural_key(child, rel):
        params = []
        for f in keys:
            name = _param(_py_name(f.name), taken, last_word=False)
            taken.add(name)
            params.append({"name": name, "field": f.name, "type": PY_TYPES[f.type.kind]})
        h |= {"kind": "create", "name": "create_" + _snake(child.model.name), "key_fields": params}
        h["doc"] = _doc(
            f"Create {_a(label)} in {where}; return its id.",
            f"`fields` are the other fields of {child.model.name}, by their TypeScript names"
            + (f" ({below} included)" if below else "")
            + f"; the model validates them. A second {label} with the same "
            + f"{', '.join(f.name for f in keys)} is refused.",
        )
    else:
        h |= {"kind": "add", "name": "add_" + _snake(child.model.name)}
        h["param"] = _param(_snake(child.model.name), taken)
        h["doc"] = _doc(
            f"Add {_a(label)} to {where}; return its id.",
            f"Its {below} are written too." if below else "",
        )
    return h


def _root_helpers(spec: Spec, root: TableView) -> list[dict]:
    short = _param(_snake(root.model.name), set())
    key = root.key_field
    label = _label(root.model.name)
    common = {
        "model": root.model.name,
        "table": root.name,
        "id_type": _key_type(root),
        "pos": root.model.pos,
    }
    below = ", ".join(v.name for v in _subtree(spec, root)[1:])
    if key is not None:
        save_doc = _doc(
            f"Write a whole {label}, everything in it included; return its key.",
            f"The {root.name} row is upserted (INSERT ... ON CONFLICT DO UPDATE of the model's "
            "columns, so columns the model does not know keep their values). Its children are "
            "replaced: deleted (ON DELETE CASCADE clears theirs) and inserted again, so their ids "
            "and created stamps are new after each save. The models carry no row ids, so there is "
            f"no old row to match a new one with; the {label} is written whole, by one owner.",
        )
    else:
        save_doc = _doc(
            f"Insert a whole {label}, everything in it included; return its new id.",
            "The model has no key field, so every call inserts a new row.",
        )
    return [
        {**common, "kind": "save", "name": f"save_{short}", "param": short, "doc": save_doc},
        {
            **common,
            "kind": "load",
            "name": f"load_{short}",
            "param": _py_name(key.name) if key else f"{short}_id",
            "doc": _doc(
                f"Read a whole {label}, children in insertion order; None when there is none.",
                f"One query per table ({root.name}"
                + (f", {below}" if below else "")
                + ") whatever "
                "the number of rows, in one read transaction so that a concurrent save cannot be "
                "seen half done.",
            ),
        },
    ]


def _natural_key(child: TableView, rel: Relation) -> list[Field]:
    """The fields that, with the parent key, are UNIQUE in the child table (first such UNIQUE)."""
    by_column = {c.name: c.field for c in child.field_columns if c.field is not None}
    for cols in child.table.uniques:
        rest = [c for c in cols if c != rel.column]
        if rel.column in cols and rest and all(c in by_column for c in rest):
            return [by_column[c] for c in rest]
    return []


def _below(spec: Spec, view: TableView) -> str:
    """What a helper writes besides the row itself, for docstrings: 'yama resonances'."""
    return ", ".join(v.name.replace("_", " ") for v in _subtree(spec, view)[1:])


def _key_type(view: TableView) -> str:
    return PY_TYPES[view.key_field.type.kind] if view.key_field else "int"


def _check_unique_names(helpers: list[dict]) -> None:
    seen: set[str] = set()
    problems = []
    for h in helpers:
        if h["name"] in seen:
            message = f"two database helpers would be named '{h['name']}'; rename a table or model"
            problems.append(Diagnostic(h["pos"], message))
        seen.add(h["name"])
    if problems:
        raise CodegenError(problems)


# -- names and literals ------------------------------------------------------------------------


def _snake(name: str) -> str:
    """CamelCase -> snake_case: `QuantumStorySession` -> `quantum_story_session`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _label(name: str) -> str:
    """A name for people, in messages and docstrings: `NarrativeStream` -> `narrative stream`."""
    return _snake(name).replace("_", " ")


def _a(label: str) -> str:
    return ("an " if label[:1] in "aeiou" else "a ") + label


def _py_name(name: str) -> str:
    """A safe Python identifier for a spec name (a keyword gets a trailing underscore)."""
    out = re.sub(r"\W", "_", name)
    if not out or out[0].isdigit():
        out = "_" + out
    return out + "_" if keyword.iskeyword(out) else out


def _param(snake: str, taken: set[str], last_word: bool = True) -> str:
    """The last word of a snake name (`antenarrative_fragment` -> `fragment`), unless taken."""
    snake = _py_name(snake)
    candidates = [snake.rsplit("_", 1)[-1], snake] if last_word else [snake]
    for name in candidates:
        if (
            name.isidentifier()
            and not keyword.iskeyword(name)
            and name not in taken | RESERVED_PARAMS
        ):
            return name
    name = snake + "_"
    while name in taken | RESERVED_PARAMS:
        name += "_"
    return name


def _doc(summary: str, *paragraphs: str) -> list[str]:
    """Docstring lines: the summary, then wrapped paragraphs after blank lines."""
    lines = [summary]
    for text in paragraphs:
        if text:
            lines += ["", *textwrap.wrap(text, DOC_WIDTH)]
    return lines


def _py_text(text: str) -> str:
    """A Python string literal that shows multi-line SQL as it reads (repr when that is unsafe)."""
    plain = all(ch == "\n" or ch.isprintable() for ch in text)
    if plain and "\\" not in text and '"""' not in text and not text.endswith('"'):
        return '"""' + text + '"""'
    return repr(text)


def _py_sql(sql: str | None) -> str:
    """A one-line SQL string as a Python expression, cut before clauses and at spaces.

    The pieces are implicitly concatenated, so the value is the string exactly as built.
    """
    if sql is None:
        return "None"
    pieces: list[str] = []
    for clause in re.split(SQL_CLAUSE, sql):  # a new line for each clause, then by width
        pieces.append("")
        for word in re.split(r"(?<= )", clause):  # every piece keeps its trailing space
            if pieces[-1] and len(pieces[-1]) + len(word) > SQL_WIDTH:
                pieces.append("")
            pieces[-1] += word
    if len(pieces) == 1:
        return repr(sql)
    return "(\n" + "".join(f"    {py_literal(p)}\n" for p in pieces) + ")"
