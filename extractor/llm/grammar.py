"""A llama.cpp grammar (GBNF) for a stage's JSON Schema that admits compact JSON only.

llama-server turns ``response_format`` into a grammar that lets the model put a line break and
indentation before every key, and a small model does: a third of the tokens it writes for this
project's answers are whitespace (measured on the seeds' recording with llama-server's own
tokenizer: 3,045 tokens as written, 2,073 for the same JSON without whitespace). Every generated
token costs about 0.1 s on the embedded model, so for llama.cpp servers the client sends this
grammar instead (``grammar`` in the request body): the same schema, the same parsed answer, no
whitespace between tokens.

Covered: the JSON Schema that Pydantic writes for the stage answers: objects (properties in
order, the required ones first-class, the others optional), arrays with ``minItems`` and
``maxItems``, strings with ``minLength`` and ``maxLength``, ``enum`` and ``const``, numbers,
integers (a small ``minimum``..``maximum`` range spelled out), booleans, null, ``anyOf`` and
``$ref`` into ``$defs``. Anything else raises ``GrammarError``, so a schema this does not cover
never goes out with a wrong grammar.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from extractor.errors import ExtractorError

_CHAR = r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'
_NUMBER = r'"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?'
_INTEGER = r'"-"? ("0" | [1-9] [0-9]{0,15})'
_SPELLED_OUT_RANGE = 1000  # an integer range up to this size is listed value by value
_IGNORED_KEYS = frozenset({"title", "description", "default", "examples"})


class GrammarError(ExtractorError):
    """The schema uses a construct the compact grammar does not cover."""


def _literal(value: Any) -> str:
    """A GBNF literal that matches ``value`` written as compact JSON."""
    return json.dumps(json.dumps(value, ensure_ascii=False, separators=(",", ":")),
                      ensure_ascii=False)


class _Builder:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.rules: dict[str, str] = {"char": _CHAR}
        self.named: dict[str, str] = {}  # rule body -> its name, so equal rules are shared

    def rule(self, body: str, hint: str) -> str:
        if body in self.named:
            return self.named[body]
        base = re.sub(r"[^a-zA-Z0-9-]+", "-", hint).strip("-").lower() or "r"
        name, counter = base, 1
        while name in self.rules:
            counter += 1
            name = f"{base}{counter}"
        self.rules[name] = body
        self.named[body] = name
        return name

    def visit(self, node: dict[str, Any], hint: str) -> str:
        unknown = set(node) - _IGNORED_KEYS - {
            "type", "properties", "required", "items", "minItems", "maxItems", "minLength",
            "maxLength", "enum", "const", "anyOf", "$ref", "minimum", "maximum", "$defs",
            "additionalProperties"}
        if unknown:
            raise GrammarError(f"schema keys not covered by the compact grammar: {sorted(unknown)}")
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            if name not in self.defs:
                raise GrammarError(f"unresolved schema reference {node['$ref']!r}")
            return self.visit(self.defs[name], name)
        if "anyOf" in node:
            options = [self.visit(option, hint) for option in node["anyOf"]]
            return self.rule(" | ".join(options), hint)
        if "const" in node:
            return self.rule(_literal(node["const"]), hint)
        if "enum" in node:
            return self.rule(" | ".join(_literal(value) for value in node["enum"]), hint)
        kind = node.get("type")
        if kind == "object":
            return self.object(node, hint)
        if kind == "array":
            return self.array(node, hint)
        if kind == "string":
            low, high = node.get("minLength", 0), node.get("maxLength")
            count = f"{{{low},{high}}}" if high is not None else (f"{{{low},}}" if low else "*")
            return self.rule(f'"\\"" char{count} "\\""', f"{hint}-string")
        if kind == "number":
            return self.rule(_NUMBER, "number")
        if kind == "integer":
            return self.integer(node)
        if kind == "boolean":
            return self.rule('"true" | "false"', "boolean")
        if kind == "null":
            return self.rule('"null"', "null")
        raise GrammarError(f"schema type not covered by the compact grammar: {kind!r}")

    def integer(self, node: dict[str, Any]) -> str:
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None and 0 <= high - low <= _SPELLED_OUT_RANGE:
            values = sorted(range(int(low), int(high) + 1), key=lambda v: -len(str(v)))
            return self.rule(" | ".join(f'"{value}"' for value in values), f"int-{low}-{high}")
        if low is not None or high is not None:
            raise GrammarError("an integer bound over a wide range is not covered")
        return self.rule(_INTEGER, "integer")

    def array(self, node: dict[str, Any], hint: str) -> str:
        item = self.visit(node.get("items", {}), f"{hint}-item")
        low, high = node.get("minItems", 0), node.get("maxItems")
        if high == 0:
            return self.rule('"[" "]"', f"{hint}-empty")
        more = (f"{{{max(low - 1, 0)},{high - 1}}}" if high is not None
                else (f"{{{low - 1},}}" if low > 1 else "*"))
        body = f'"[" {item} ("," {item}){more} "]"'
        if low == 0:
            body = f'"[" ({item} ("," {item}){more})? "]"'
        return self.rule(body, f"{hint}-list")

    def object(self, node: dict[str, Any], hint: str) -> str:
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        if not properties:
            raise GrammarError("an object without properties is not covered")
        parts: list[str] = []
        for index, (key, schema) in enumerate(properties.items()):
            pair = f'{_literal(key)} ":" {self.visit(schema, key)}'
            # a key before the first required one is written too (it opens the object)
            leading = not parts
            if index and not leading:
                pair = f'"," {pair}'
            parts.append(pair if key in required or leading else f"({pair})?")
        return self.rule('"{" ' + " ".join(parts) + ' "}"', hint)


NAME_COMMENT = "# answer: "  # the grammar's first line names the answer model


@lru_cache(maxsize=64)
def _grammar_of(schema_json: str, name: str) -> str:
    schema = json.loads(schema_json)
    builder = _Builder(schema)
    root = builder.visit(schema, "answer")
    lines = [f"{NAME_COMMENT}{name}", f"root ::= {root}"]
    lines += [f"{name} ::= {body}" for name, body in builder.rules.items()]
    return "\n".join(lines) + "\n"


def compact_grammar(schema: dict[str, Any], name: str) -> str:
    """The GBNF grammar of ``schema`` (the answer model ``name``) that admits its JSON without
    whitespace (cached)."""
    return _grammar_of(json.dumps(schema), name)  # key order is property order: keep it


def with_compact_grammar(body: dict[str, Any]) -> dict[str, Any]:
    """A request body's ``response_format`` JSON Schema replaced by its compact ``grammar``
    (llama.cpp takes one or the other); a body without one is returned as it is."""
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return body
    spec = response_format.get("json_schema") or {}
    rest = {key: value for key, value in body.items() if key != "response_format"}
    return {**rest, "grammar": compact_grammar(spec.get("schema") or {}, spec.get("name", ""))}


def requested_answer(body: dict[str, Any]) -> str | None:
    """The answer model a chat request asks for: its ``response_format`` schema's name, or the
    name on the first line of its compact grammar."""
    response_format = body.get("response_format") or {}
    name = (response_format.get("json_schema") or {}).get("name")
    grammar = body.get("grammar")
    if not name and isinstance(grammar, str) and grammar.startswith(NAME_COMMENT):
        name = grammar[len(NAME_COMMENT):grammar.find("\n")].strip()
    return name or None
