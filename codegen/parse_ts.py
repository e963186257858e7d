"""TypeScript (a documented subset) -> Spec, through tree-sitter.

The only module that imports tree_sitter. It reads declarations and JSDoc tags into the IR;
whatever falls outside the subset becomes a diagnostic at its position, and every
diagnostic is raised at once. Semantic checks (unknown names, tag values) live in
validate.py so they apply to specs from any source.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from codegen.errors import CodegenError, Collector, Diagnostic
from codegen.jsdoc import ENUM_TAGS, FIELD_TAGS, MODEL_TAGS, Doc, Tag, TagReader, split_tags
from codegen.spec import EnumType, Field, Kind, Model, Pos, Spec, TypeRef
from codegen.validate import diagnose

_LANGUAGE = Language(tree_sitter_typescript.language_typescript())

PRIMITIVES = {"string": Kind.STRING, "number": Kind.NUMBER, "boolean": Kind.BOOLEAN}
ARRAY_GENERICS = {"Array", "ReadonlyArray"}


def parse_file(path: Path, display_name: str | None = None) -> Spec:
    """Parse a TypeScript file into a Spec, or raise CodegenError with every problem."""
    name = display_name or str(path)
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise CodegenError(
            [Diagnostic(Pos(name, 1, 1), f"cannot read source: {exc.strerror}")]
        ) from None
    return parse_source(source, name)


def parse_source(source: bytes, filename: str) -> Spec:
    """Parse TypeScript source text; see parse_file."""
    reader = _Reader(source, filename)
    spec = reader.read()
    if not reader.syntax_ok:
        reader.errors.raise_if_any()
    # Semantic checks run even after tag errors (bad tags were dropped), so one run reports all.
    reader.errors.items.extend(diagnose(spec))
    reader.errors.raise_if_any()
    return spec


class _Reader:
    """One pass over the syntax tree; collects declarations and diagnostics."""

    def __init__(self, source: bytes, filename: str) -> None:
        self.source = source
        self.lines = source.split(b"\n")
        self.filename = filename
        self.errors = Collector()
        self.enums: list[EnumType] = []
        self.models: list[Model] = []
        self.hoisted: list[Model] = []  # inline object types, named after their field
        self.names: dict[str, Pos] = {}
        self.tags = TagReader(self.errors)
        self.syntax_ok = True

    # -- positions --------------------------------------------------------------------------
    def pos(self, node: Node) -> Pos:
        row, col = node.start_point
        return self.pos_at(row, col)

    def pos_at(self, row: int, byte_col: int) -> Pos:
        line = self.lines[row] if row < len(self.lines) else b""
        return Pos(self.filename, row + 1, len(line[:byte_col].decode("utf-8", "replace")) + 1)

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # -- top level --------------------------------------------------------------------------
    def read(self) -> Spec:
        tree = Parser(_LANGUAGE).parse(self.source)
        self._syntax_errors(tree.root_node)
        self.syntax_ok = not self.errors.items
        if not self.syntax_ok:
            return Spec((), ())
        for node in tree.root_node.named_children:
            decl = node
            if node.type == "export_statement":
                decl = node.child_by_field_name("declaration") or node
            if decl.type == "comment":
                continue
            doc = self.doc_for(node)
            if decl.type == "interface_declaration":
                self.interface(decl, doc)
            elif decl.type == "type_alias_declaration":
                self.type_alias(decl, doc)
            elif decl.type == "enum_declaration":
                self.enum(decl, doc)
            else:
                self.errors.add(
                    self.pos(decl),
                    f"unsupported declaration ({decl.type.replace('_', ' ')}); "
                    "only interfaces, type aliases and string enums are read",
                )
        models = tuple(self.models) + tuple(self.hoisted)
        spec = Spec(tuple(self.enums), _flatten_extends(models, self.errors))
        return resolve_refs(spec, self.errors)

    def _syntax_errors(self, node: Node) -> None:
        if node.is_missing:
            self.errors.add(self.pos(node), f"syntax error: missing {node.type!r}")
            return
        if node.type == "ERROR":
            self.errors.add(self.pos(node), f"syntax error near {self.text(node)[:30]!r}")
            return
        if node.has_error:
            for child in node.children:
                self._syntax_errors(child)

    def declare(self, name: str, node: Node) -> bool:
        if name in self.names:
            self.errors.add(self.pos(node), f"'{name}' is already declared at {self.names[name]}")
            return False
        self.names[name] = self.pos(node)
        return True

    # -- JSDoc ------------------------------------------------------------------------------
    def doc_for(self, node: Node) -> Doc:
        prev = node.prev_named_sibling
        if prev is None or prev.type != "comment":
            return Doc()
        raw = self.text(prev)
        if not raw.startswith("/**"):
            return Doc()
        return self.parse_jsdoc(raw, prev.start_point)

    def parse_jsdoc(self, raw: str, start: tuple[int, int]) -> Doc:
        body_lines = raw[3:-2].split("\n")
        doc = Doc()
        text_lines: list[str] = []
        current: Tag | None = None
        for i, line in enumerate(body_lines):
            row = start[0] + i
            offset = (start[1] + 3) if i == 0 else 0
            stripped = re.sub(r"^\s*\*?\s?", "", line) if i else line.strip()
            lead = len(line) - len(line.lstrip(" \t*")) if i else len(line) - len(line.lstrip())
            # inline tags on the same line: "@minimum 0 @maximum 1" splits into two
            for piece_start, piece in split_tags(stripped):
                if piece.startswith("@"):
                    m = re.match(r"@([A-Za-z][\w-]*)\s*(.*)", piece)
                    name, value = (m.group(1), m.group(2).strip()) if m else (piece[1:], "")
                    col_bytes = offset + lead + len(stripped[:piece_start].encode())
                    line_text = (
                        self.lines[row].decode("utf-8", "replace") if row < len(self.lines) else ""
                    )
                    col = line_text.find("@" + name) if i else -1
                    pos = (
                        Pos(self.filename, row + 1, col + 1)
                        if col >= 0
                        else self.pos_at(row, col_bytes)
                    )
                    current = Tag(name, value, pos)
                    doc.tags.append(current)
                elif current is not None and piece.strip():
                    current.value = (current.value + " " + piece.strip()).strip()
                elif current is None and piece.strip():
                    text_lines.append(piece.strip())
        doc.text = " ".join(text_lines).strip()
        return doc

    # -- declarations -----------------------------------------------------------------------
    def type_alias(self, node: Node, doc: Doc) -> None:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node)
        if node.child_by_field_name("type_parameters") is not None:
            self.errors.add(self.pos(node), f"'{name}': generic type aliases are not supported")
            return
        value = node.child_by_field_name("value")
        if not self.declare(name, name_node):
            return
        literals = self.string_literals(value)
        if literals is not None:
            self.tags.check_tags(doc, ENUM_TAGS, "a type alias")
            self.enums.append(EnumType(name, literals, doc.text, self.pos(name_node)))
        elif value.type == "object_type":
            self.models.append(self.object_model(name, value, doc, self.pos(name_node)))
        else:
            self.errors.add(
                self.pos(value),
                f"type alias '{name}' must be a union of string literals or an object type "
                f"(got {self.describe(value)})",
            )

    def enum(self, node: Node, doc: Doc) -> None:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node)
        if not self.declare(name, name_node):
            return
        values: list[str] = []
        for member in node.child_by_field_name("body").named_children:
            if member.type == "comment":
                continue
            value = (
                member.child_by_field_name("value") if member.type == "enum_assignment" else None
            )
            if value is None or value.type != "string":
                self.errors.add(
                    self.pos(member),
                    f"enum '{name}': every member needs a string value (numeric enums are not supported)",
                )
                continue
            values.append(self.string_value(value))
        self.tags.check_tags(doc, ENUM_TAGS, "an enum")
        self.enums.append(EnumType(name, tuple(values), doc.text, self.pos(name_node)))

    def interface(self, node: Node, doc: Doc) -> None:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node)
        if node.child_by_field_name("type_parameters") is not None:
            self.errors.add(
                self.pos(node), f"interface '{name}': generic interfaces are not supported"
            )
            return
        if not self.declare(name, name_node):
            return
        bases: list[str] = []
        for child in node.named_children:
            if child.type == "extends_type_clause":
                for base in child.named_children:
                    if base.type == "type_identifier":
                        bases.append(self.text(base))
                    else:
                        self.errors.add(
                            self.pos(base),
                            f"interface '{name}' may only extend plain interface names",
                        )
        body = node.child_by_field_name("body")
        model = self.object_model(name, body, doc, self.pos(name_node))
        self.models.append(replace(model, bases=tuple(bases)))

    def object_model(self, name: str, body: Node, doc: Doc, pos: Pos) -> Model:
        fields: list[Field] = []
        for member in body.named_children:
            if member.type == "comment":
                continue
            if member.type == "index_signature" and any(
                c.type == "mapped_type_clause" for c in member.named_children
            ):
                self.errors.add(
                    self.pos(member), "mapped types are not supported; declare the properties"
                )
                continue
            if member.type != "property_signature":
                self.errors.add(
                    self.pos(member),
                    f"'{name}': only plain properties are supported here (got {self.describe(member)})",
                )
                continue
            f = self.property(name, member)
            if f is not None:
                if any(existing.name == f.name for existing in fields):
                    self.errors.add(f.pos, f"'{name}' declares field '{f.name}' twice")
                fields.append(f)
        self.tags.check_tags(doc, MODEL_TAGS, "an interface")
        table = self.tags.table(doc)
        if table is not None:  # an unnamed field index is named after its table and column
            fields = [
                replace(f, storage=replace(f.storage, index=f"idx_{table.name}_{f.column}"))
                if f.storage.index == ""
                else f
                for f in fields
            ]
        return Model(
            name=name,
            fields=tuple(fields),
            doc=doc.text,
            aliases=tuple(t.value for t in doc.tags if t.name == "alias"),
            table=table,
            pos=pos,
        )

    def property(self, model: str, node: Node) -> Field | None:
        name_node = node.child_by_field_name("name")
        if name_node.type == "string":
            fname = self.string_value(name_node)
        elif name_node.type == "property_identifier":
            fname = self.text(name_node)
        else:
            self.errors.add(
                self.pos(name_node), f"'{model}': computed property names are not supported"
            )
            return None
        optional = any(c.type == "?" for c in node.children)
        annotation = node.child_by_field_name("type")
        if annotation is None:
            self.errors.add(self.pos(name_node), f"'{model}.{fname}' has no type annotation")
            return None
        type_node = annotation.named_children[0]
        doc = self.doc_for(node)
        parsed = self.type_of(type_node, hoist_name=model + _pascal(fname))
        if parsed is None:
            return None
        ref, nullable, undefinable = parsed
        self.tags.check_tags(doc, FIELD_TAGS, "a field")
        return Field(
            name=fname,
            type=ref,
            optional=optional or undefinable,
            nullable=nullable,
            doc=doc.text,
            constraints=self.tags.constraints(doc, ref),
            storage=self.tags.storage(doc),
            pos=self.pos(name_node),
        )

    # -- types ------------------------------------------------------------------------------
    def type_of(self, node: Node, hoist_name: str) -> tuple[TypeRef, bool, bool] | None:
        """A field's type: (ref, nullable, may be undefined)."""
        members = self.union_members(node)
        nullable = undefinable = False
        rest: list[Node] = []
        for m in members:
            if m.type == "literal_type" and m.named_children and m.named_children[0].type == "null":
                nullable = True
            elif (m.type == "literal_type" and self.text(m) == "undefined") or (
                m.type in ("predefined_type", "type_identifier") and self.text(m) == "undefined"
            ):
                undefinable = True
            else:
                rest.append(m)
        if not rest:
            self.errors.add(self.pos(node), "a field's type cannot be only null or undefined")
            return None
        if len(rest) > 1:
            literals = self.literal_list(rest)
            if literals is None:
                self.errors.add(
                    self.pos(node),
                    f"unsupported union '{self.text(node)}' (only string literals, null and undefined may be combined)",
                )
                return None
            return self.inline_enum(hoist_name, literals, node), nullable, undefinable
        ref = self.single_type(rest[0], hoist_name)
        return (ref, nullable, undefinable) if ref is not None else None

    def single_type(self, node: Node, hoist_name: str) -> TypeRef | None:
        t = node.type
        if t == "parenthesized_type":
            return self.single_type(node.named_children[0], hoist_name)
        if t == "predefined_type":
            word = self.text(node)
            if word in PRIMITIVES:
                return TypeRef(PRIMITIVES[word])
            self.errors.add(
                self.pos(node),
                f"unsupported type '{word}' (use string, number, boolean or a declared type)",
            )
            return None
        if t == "type_identifier":
            word = self.text(node)
            if word == "Date":
                return TypeRef(Kind.DATETIME)
            return TypeRef(Kind.MODEL, word)  # resolved to ENUM or checked in _resolve
        if t == "literal_type":
            literal = self.literal_list([node])
            if literal is not None:
                return self.inline_enum(hoist_name, literal, node)
        if t == "array_type":
            item = self.single_type(node.named_children[0], hoist_name + "Item")
            return TypeRef(Kind.ARRAY, item=item) if item else None
        if t == "readonly_type":
            inner = node.named_children[0]
            if inner.type == "array_type":
                return self.single_type(inner, hoist_name)
        if t == "generic_type":
            return self.generic(node, hoist_name)
        if t == "object_type":
            model = self.object_model(hoist_name, node, Doc(), self.pos(node))
            if self.declare(hoist_name, node):
                self.hoisted.append(model)
            return TypeRef(Kind.MODEL, hoist_name)
        if t == "union_type":
            parsed = self.type_of(node, hoist_name)
            if parsed and not parsed[1] and not parsed[2]:
                return parsed[0]
            self.errors.add(
                self.pos(node), "null or undefined is only supported at the top of a field's type"
            )
            return None
        self.errors.add(
            self.pos(node), f"unsupported type '{self.text(node)}' ({self.describe(node)})"
        )
        return None

    def generic(self, node: Node, hoist_name: str) -> TypeRef | None:
        name = self.text(node.child_by_field_name("name"))
        args = node.child_by_field_name("type_arguments")
        arg_nodes = [a for a in args.named_children if a.type != "comment"] if args else []
        if name in ARRAY_GENERICS and len(arg_nodes) == 1:
            item = self.single_type(arg_nodes[0], hoist_name + "Item")
            return TypeRef(Kind.ARRAY, item=item) if item else None
        if name == "Record" and len(arg_nodes) == 2:
            if self.text(arg_nodes[0]) != "string":
                self.errors.add(self.pos(arg_nodes[0]), "Record keys must be 'string'")
                return None
            item = self.single_type(arg_nodes[1], hoist_name + "Value")
            return TypeRef(Kind.RECORD, item=item) if item else None
        self.errors.add(
            self.pos(node),
            f"unsupported type '{self.text(node)}' (generics are not supported; "
            "use T[], Array<T>, ReadonlyArray<T> or Record<string, T>)",
        )
        return None

    def inline_enum(self, hoist_name: str, literals: tuple[str, ...], node: Node) -> TypeRef:
        if self.declare(hoist_name, node):
            self.enums.append(EnumType(hoist_name, literals, "", self.pos(node)))
        return TypeRef(Kind.ENUM, hoist_name)

    def union_members(self, node: Node) -> list[Node]:
        if node.type == "union_type":
            out: list[Node] = []
            for child in node.named_children:
                out.extend(self.union_members(child))
            return out
        if node.type == "parenthesized_type":
            return self.union_members(node.named_children[0])
        return [node]

    def string_literals(self, node: Node) -> tuple[str, ...] | None:
        return self.literal_list(self.union_members(node))

    def literal_list(self, members: list[Node]) -> tuple[str, ...] | None:
        values = []
        for m in members:
            if (
                m.type != "literal_type"
                or not m.named_children
                or m.named_children[0].type != "string"
            ):
                return None
            values.append(self.string_value(m.named_children[0]))
        return tuple(values)

    def string_value(self, node: Node) -> str:
        raw = self.text(node)
        quote = raw[0]
        body = raw[1:-1]
        if quote == "'":  # reuse JSON's escape rules for the common cases
            body = body.replace('\\"', '"').replace("\\'", "'").replace('"', '\\"')
        try:
            return json.loads('"' + body + '"')
        except json.JSONDecodeError:
            return body

    def describe(self, node: Node) -> str:
        return {
            "conditional_type": "conditional types are not supported",
            "mapped_type_clause": "mapped types are not supported",
            "index_type_query": "keyof is not supported",
            "intersection_type": "intersection types are not supported; use extends",
            "function_type": "function types are not supported",
            "tuple_type": "tuple types are not supported",
            "method_signature": "methods are not supported",
            "index_signature": "index signatures are not supported; use Record<string, T>",
            "lookup_type": "indexed access types are not supported",
            "template_literal_type": "template literal types are not supported",
            "type_query": "typeof is not supported",
        }.get(node.type, node.type.replace("_", " "))


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def _flatten_extends(models: tuple[Model, ...], errors: Collector) -> tuple[Model, ...]:
    """Copy each base interface's fields in front of the model's own (bases first)."""
    by_name = {m.name: m for m in models}
    done: dict[str, Model] = {}

    def resolve(m: Model, chain: tuple[str, ...]) -> Model:
        if m.name in done:
            return done[m.name]
        inherited: list[Field] = []
        for base in m.bases:
            if base in chain:
                errors.add(m.pos, f"interface '{m.name}' extends itself through '{base}'")
                continue
            if base not in by_name:
                errors.add(m.pos, f"interface '{m.name}' extends unknown interface '{base}'")
                continue
            for f in resolve(by_name[base], (*chain, m.name)).fields:
                if all(f.name != g.name for g in inherited):
                    inherited.append(f)
        own = {f.name for f in m.fields}
        out = replace(m, fields=tuple(f for f in inherited if f.name not in own) + m.fields)
        done[m.name] = out
        return out

    return tuple(resolve(m, ()) for m in models)


def resolve_refs(spec: Spec, errors: Collector) -> Spec:
    """Turn name references into ENUM or MODEL refs; unknown names become diagnostics."""
    enums = {e.name for e in spec.enums}
    models = {m.name for m in spec.models}

    def fix(ref: TypeRef, f: Field) -> TypeRef:
        if ref.item is not None:
            return replace(ref, item=fix(ref.item, f))
        if ref.kind is Kind.MODEL and ref.name not in models and ref.name in enums:
            return TypeRef(Kind.ENUM, ref.name)
        return ref  # an unknown name stays a MODEL ref; validate.py reports it

    return replace(
        spec,
        models=tuple(
            replace(m, fields=tuple(replace(f, type=fix(f.type, f)) for f in m.fields))
            for m in spec.models
        ),
    )
