"""Turn pydantic's validation errors into located, readable problems."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from logboot.errors import Problem
from logboot.profile.reading import Document, Key
from logboot.profile.schema import Profile

_EXPECTED = {
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected a string",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
}
# A bound a number broke: the sign and the key of the bound in the error's context.
_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


def did_you_mean(word: object, choices: typing.Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when a choice is close to ``word``, else ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe(value: Any) -> str:
    """How a found value is shown in a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


def translate(error: ValidationError, doc: Document) -> list[Problem]:
    """One problem per pydantic error, located in the document."""
    return [_problem(detail, doc) for detail in error.errors(include_url=False)]


def _problem(detail: ErrorDetails, doc: Document) -> Problem:
    path, parent, annotation = _resolve(detail["loc"])
    kind = detail["type"]
    found = detail.get("input")
    ctx = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = sorted(parent.model_fields) if parent else []
        hint = did_you_mean(path[-1], allowed) or (
            f"; expected one of: {', '.join(allowed)}" if allowed else ""
        )
        return doc.problem(path, f"unknown key{hint}", at_key=True)
    if kind == "missing":
        return doc.problem(path, f"missing required key {path[-1]!r}", at_key=True)
    if kind == "literal_error":
        choices = _literal_choices(annotation)
        expected = ", ".join(map(repr, choices)) if choices else ctx.get("expected", "")
        hint = did_you_mean(found, [str(c) for c in choices])
        return doc.problem(path, f"expected one of {expected}, got {describe(found)}{hint}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = _union_tags(annotation)
        expected = ", ".join(map(repr, tags))
        if kind == "union_tag_not_found":
            return doc.problem(path, f"missing key 'type' (one of {expected})", at_key=True)
        tag = ctx.get("tag")
        hint = did_you_mean(tag, tags)
        if isinstance(found, dict) and "type" in found and found["type"] is None and "null" in tags:
            # A bare `null` (or `~`, or nothing) in YAML is no value, not the word.
            return doc.problem(
                (*path, "type"),
                f"no type given (YAML reads a bare null as no value); for the null sink quote it: "
                f'type: "null"; the types are {expected}',
            )
        return doc.problem((*path, "type"), f"unknown type {tag!r}; expected one of {expected}{hint}")
    if kind in ("value_error", "assertion_error"):
        message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return doc.problem(path, message)
    if kind in _EXPECTED:
        return doc.problem(path, f"{_EXPECTED[kind]}, got {describe(found)}")
    if kind in _BOUNDS:
        sign, key = _BOUNDS[kind]
        return doc.problem(path, f"expected a number {sign} {ctx.get(key)}, got {describe(found)}")
    if kind == "too_short":
        return doc.problem(path, f"expected at least {ctx.get('min_length', 1)} item(s), got none")
    if kind == "string_too_short":
        return doc.problem(path, "expected a non-empty string")
    message = detail["msg"]
    return doc.problem(path, message[:1].lower() + message[1:])


def _resolve(loc: tuple[int | str, ...]) -> tuple[Key, type[BaseModel] | None, Any]:
    """Walk the models along pydantic's ``loc``.

    Returns the data path (without the discriminator tags pydantic inserts), the model
    that owns the last key, and the annotation of the last key.
    """
    path: list[str | int] = []
    annotation: Any = Profile
    parent: type[BaseModel] | None = None
    for element in loc:
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            parent = annotation
            path.append(element)
            field = annotation.model_fields.get(str(element))
            annotation = field.annotation if field else None
            continue
        origin = typing.get_origin(annotation)
        if origin is dict:
            path.append(element)
            annotation = typing.get_args(annotation)[1]
            continue
        if origin is list:
            path.append(element)
            annotation = typing.get_args(annotation)[0]
            continue
        member = _union_member(annotation, element)
        if member is not None:  # a discriminator tag: not part of the data path
            annotation = member
            continue
        path.append(element)
        annotation = None
    return tuple(path), parent, annotation


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if _is_union(annotation):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_union(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin is Union or origin is types.UnionType


def _union_members(annotation: Any) -> list[type[BaseModel]]:
    annotation = _unwrap(annotation)
    if not _is_union(annotation):
        return []
    return [m for m in typing.get_args(annotation) if _is_model(m)]


def _union_member(annotation: Any, tag: object) -> type[BaseModel] | None:
    for member in _union_members(annotation):
        if tag in _literal_choices(member.model_fields["type"].annotation):
            return member
    return None


def _union_tags(annotation: Any) -> list[str]:
    tags: list[str] = []
    for member in _union_members(annotation):
        tags.extend(str(t) for t in _literal_choices(member.model_fields["type"].annotation))
    return tags


def _literal_choices(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    if _is_union(annotation):
        for member in typing.get_args(annotation):
            if typing.get_origin(member) is Literal:
                return list(typing.get_args(member))
    return []
