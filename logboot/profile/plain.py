"""A validated profile as plain data, read the way the models are read.

Building a topology only reads a profile: ``profile.sinks["out"].path``,
``profile.shutdown.timeout``, ``profile.root_queue()``. A profile validated once is kept
as JSON (see ``logboot.profile.cache``) and a start from it must not import pydantic (about
11 MB of memory and 100 ms), so ``PlainProfile`` gives that data the same read-only
attribute access. Sinks, filters and formatters are told apart by their ``type`` key, never
by their model class, so the builders take either form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from logboot.profile.wiring import profile_root_queue

if TYPE_CHECKING:
    from logboot.profile.schema import Profile


class PlainSpec:
    """A model's fields, read-only, read as attributes (``spec.path``).

    Not a dict: a field may be named like a dict method (the ``keys`` of a ``redact``
    filter), and a mapping of the profile (``sinks``) is a plain dict of its own.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        object.__setattr__(self, "_fields", fields)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a validated profile is read-only")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainSpec) and type(other) is type(self) and self._fields == other._fields

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not immutable all the way down

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled for spawn children (in a ProcessHandle).
        return (type(self), (self._fields,))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._fields!r})"


class PlainProfile(PlainSpec):
    """A whole profile as plain data: what ``build_topology`` and the runtime read."""

    __slots__ = ("_source",)
    _source: str | None

    def __init__(self, fields: dict[str, Any], source: str | None = None) -> None:
        super().__init__(fields)
        object.__setattr__(self, "_source", source)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._fields, self._source))

    @property
    def source(self) -> str | None:
        """The file the profile was read from, if any."""
        return self._source

    def root_queue(self) -> str | None:
        """The queue the root logger feeds: its own, else the only queue."""
        return profile_root_queue(self)


_MAP = "$map"  # marks a mapping of the profile (``sinks``), as opposed to a model's fields


def encode(value: Any) -> Any:
    """A validated model as JSON data that ``plain_profile`` reads back: models become
    objects of their fields, mappings ``{"$map": {...}}``, lists lists."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        return {name: encode(getattr(value, name)) for name in fields}
    if isinstance(value, dict):
        return {_MAP: {key: encode(item) for key, item in value.items()}}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _MAP in value:
            return {key: _thaw(item) for key, item in value[_MAP].items()}
        return PlainSpec({key: _thaw(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_thaw(item) for item in value]
    return value


def plain_profile(data: Mapping[str, Any], source: str | None = None) -> PlainProfile:
    """A ``PlainProfile`` from the ``encode``d form of a validated ``Profile``."""
    return PlainProfile({key: _thaw(item) for key, item in data.items()}, source)


def as_model(profile: Profile | PlainProfile) -> Profile:
    """The pydantic ``Profile`` of either form (validated again from plain data)."""
    from logboot.profile.schema import Profile

    if isinstance(profile, Profile):
        return profile
    model = Profile.model_validate(_unfrozen(profile))
    model.set_source(profile.source)
    return model


def _unfrozen(value: Any) -> Any:
    if isinstance(value, PlainSpec):
        return {key: _unfrozen(item) for key, item in value._fields.items()}
    if isinstance(value, dict):
        return {key: _unfrozen(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unfrozen(item) for item in value]
    return value
