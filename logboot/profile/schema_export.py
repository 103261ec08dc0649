"""The JSON Schema of the models made to mean, for any Draft 2020-12 validator, what ``check`` means.

Pydantic's schema describes the models, not the file a user writes, in two ways that plain
validators (check-jsonschema, yaml-language-server, editors) get wrong:

- A typed union is a ``oneOf`` with an OpenAPI ``discriminator``, which Draft 2020-12 ignores:
  a typo in one sink's key fails every branch, and the validator reports whichever it likes
  (often a missing key of another type). Here each union picks its branch by ``type`` with
  ``if``/``then``, so the one model of that type reports the misspelled key.
- ``${NAME}`` and ``${NAME:-default}`` are expanded when the profile is read, before
  validation, so ``level: ${LOG_LEVEL:-INFO}`` is a valid profile. Every value that is not a
  plain string also takes a string with a reference (``$defs/Interpolated``, the reader's own
  pattern).
- A profile that ``extends`` another is merged over it before validation, so it may leave
  out what its base has (a sink's ``type``, a listener's ``queue``). Every ``required`` is
  therefore lifted out of the models into one tree at the top, ``else`` of ``if: {required:
  [extends]}``: a profile without ``extends`` must have every required key, one with it need
  not, and the values it has are checked alike.
"""

from __future__ import annotations

from typing import Any

from logboot.profile.reading import INTERPOLATION_PATTERN

INTERPOLATED = "Interpolated"
_INTERPOLATED_REF = {"$ref": f"#/$defs/{INTERPOLATED}"}
_INTERPOLATED_DEF = {
    "type": "string",
    "pattern": INTERPOLATION_PATTERN,
    "description": (
        "A value read from the environment when the profile is read: ${NAME}, or ${NAME:-default} "
        "(used when NAME is unset or empty), within any text; $$ is one $."
    ),
}
# The keywords that describe a value rather than constrain it: they stay on the outside
# when a value is wrapped into "the typed value, or an interpolated string".
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated", "readOnly"})
_SCALARS = frozenset({"string", "integer", "number", "boolean"})


def plain_validator_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (pydantic's, of a whole profile) with tagged unions and ``${...}`` values that
    a plain Draft 2020-12 validator checks as ``check`` does; changed in place, and returned."""
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    _rewrite(schema)
    for name in list(defs):
        _rewrite(defs[name])
    defs[INTERPOLATED] = dict(_INTERPOLATED_DEF)
    presence = _presence(schema, defs)
    for node in (schema, *defs.values()):
        _drop_required(node)
    if presence is not None:
        schema["if"] = {"required": ["extends"]}
        schema["else"] = presence
    return schema


def required_keys(schema: dict[str, Any]) -> dict[str, list[str]]:
    """The required keys of each model of pydantic's ``schema``, by its ``$defs`` name ("" for the
    profile itself), before ``plain_validator_schema`` lifts them out."""
    models = {"": schema, **schema.get("$defs", {})}
    return {name: list(model.get("required", [])) for name, model in models.items()}


def union_members(node: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(type, $ref)`` of each branch of a union made by this module, in order; [] if none."""
    members = []
    for branch in node.get("allOf", []):
        tag = branch.get("if", {}).get("properties", {}).get("type", {}).get("const")
        ref = branch.get("then", {}).get("$ref")
        if isinstance(tag, str) and isinstance(ref, str):
            members.append((tag, ref))
    return members


def is_interpolated(node: dict[str, Any]) -> bool:
    """Whether ``node`` is the reference to the interpolated-string definition."""
    return node == _INTERPOLATED_REF


def _rewrite(node: dict[str, Any]) -> None:
    """Rewrite the unions and wrap the typed values below ``node`` (not ``node`` itself)."""
    for key in ("properties", "$defs"):
        for name, child in list(node.get(key, {}).items()):
            if key == "properties" and name == "type" and "const" in child:
                continue  # a union's tag: the union checks it
            node[key][name] = _value(child)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _value(node[key])


def _value(node: dict[str, Any]) -> dict[str, Any]:
    """The schema of one value, rewritten: a union by ``type``, a typed scalar that also takes
    ``${...}``, or a container whose members are rewritten."""
    if "discriminator" in node and "oneOf" in node:
        return _union(node)
    if "anyOf" in node:
        members = [m if _is_scalar(m) else _value(m) for m in node["anyOf"]]
        if any(_is_scalar(m) and m.get("type") != "null" for m in members) and not any(
            _takes_any_string(m) for m in members
        ):
            members.append(dict(_INTERPOLATED_REF))
        return {**node, "anyOf": members}
    if _is_scalar(node):
        if node.get("type") == "null" or _takes_any_string(node) or _only_other_values(node):
            return node
        outside = {k: v for k, v in node.items() if k in _ANNOTATIONS}
        inside = {k: v for k, v in node.items() if k not in _ANNOTATIONS}
        return {**outside, "anyOf": [inside, dict(_INTERPOLATED_REF)]}
    _rewrite(node)
    return node


def _union(node: dict[str, Any]) -> dict[str, Any]:
    """A ``oneOf`` told apart by a ``type`` discriminator, as ``if``/``then`` on ``type``."""
    by_ref = {ref: tag for tag, ref in node["discriminator"]["mapping"].items()}
    tags = [by_ref[member["$ref"]] for member in node["oneOf"]]
    outside = {k: v for k, v in node.items() if k in _ANNOTATIONS}
    return {
        **outside,
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {
                "anyOf": [{"enum": tags}, dict(_INTERPOLATED_REF)],
                "description": "Which kind this entry is; it decides the other keys.",
            }
        },
        "allOf": [
            {
                "if": {"properties": {"type": {"const": tag}}, "required": ["type"]},
                "then": {"$ref": member["$ref"]},
            }
            for tag, member in zip(tags, node["oneOf"], strict=True)
        ],
    }


def _presence(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """The schema that checks only which keys must be present below ``node`` (references
    followed); None when nothing is required there."""
    if "$ref" in node:
        return _presence(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        members = [_presence(member, defs) for member in node["anyOf"]]
        # A member that requires nothing lets everything through: so does the anyOf.
        return None if any(m is None for m in members) else {"anyOf": members}
    out: dict[str, Any] = {}
    if node.get("required"):
        out["required"] = list(node["required"])
    properties = {k: p for k, v in node.get("properties", {}).items() if (p := _presence(v, defs))}
    if properties:
        out["properties"] = properties
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict) and (inner := _presence(node[key], defs)):
            out[key] = inner
    branches = [
        {"if": branch["if"], "then": then}
        for branch in node.get("allOf", [])
        if "if" in branch
        and (then := _presence(branch["then"], defs))
        and then != {"required": out.get("required")}  # only what the union requires anyway
    ]
    if branches:
        out["allOf"] = branches
    return out or None


def _drop_required(node: Any) -> None:
    """Remove ``required`` from every schema below ``node``, except in the tests of ``if``."""
    if isinstance(node, list):
        for item in node:
            _drop_required(item)
    if not isinstance(node, dict):
        return
    if isinstance(node.get("required"), list):
        del node["required"]
    for key, value in node.items():
        if key not in ("if", "enum", "const", "default", "examples"):
            _drop_required(value)


def _is_scalar(node: dict[str, Any]) -> bool:
    """A value with no members to look into: a string, number, boolean, null, enum or const."""
    if "$ref" in node or "anyOf" in node or "oneOf" in node or "allOf" in node:
        return False
    kind = node.get("type")
    if kind in _SCALARS or kind == "null":
        return True
    return kind is None and ("enum" in node or "const" in node)


def _only_other_values(node: dict[str, Any]) -> bool:
    """Whether ``node`` allows only given values, none of them a string (``version: 1``): a
    literal is matched by type too, so the text an expansion makes is never one of them."""
    values = node["enum"] if "enum" in node else [node["const"]] if "const" in node else None
    return values is not None and not any(isinstance(value, str) for value in values)


def _takes_any_string(node: dict[str, Any]) -> bool:
    """Whether ``node`` already takes any string of one character or more (so ``${...}`` too)."""
    if is_interpolated(node):
        return True
    if node.get("type") != "string":
        return False
    constraints = set(node) - _ANNOTATIONS - {"type", "minLength"}
    return not constraints and node.get("minLength", 0) <= 1
