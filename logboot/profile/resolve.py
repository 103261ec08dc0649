"""One step from whatever names a profile to a validated ``Profile`` (or the cached plain form).

A profile is named by a path, a ``Profile``, profile data (a ``dictConfig`` export), or
nothing: then ``$LOGBOOT_PROFILE``, else the built-in default. ``$LOGBOOT_LEVEL`` and the
caller's overrides go over it and are validated with it. Every entry point (``setup_logging``,
``capture_logging``, ``ProfileHandler``, ``logboot bench``) comes through here.

Validation (pydantic, yaml) is imported on first need, inside the functions: a start from
the profile cache (``startup_profile`` with unchanged inputs) never needs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union, cast

from logboot.errors import ProfileError
from logboot.profile import cache as profile_cache
from logboot.profile.wiring import DEFAULT_QUEUE

if TYPE_CHECKING:
    from logboot.profile.loading import Validation
    from logboot.profile.overrides import Override, Overrides
    from logboot.profile.plain import PlainProfile
    from logboot.profile.reading import ExtendsRoots
    from logboot.profile.schema import Profile

PROFILE_ENV = "LOGBOOT_PROFILE"

#: What names a profile: a path, a validated ``Profile``, or nothing (``$LOGBOOT_PROFILE``, the default).
ProfileSource = Union[str, "os.PathLike[str]", "Profile", None]

DEFAULT_PROFILE: dict[str, Any] = {
    "version": 1,
    "sinks": {"console": {"type": "console", "stream": "stderr"}},
    "queues": {"main": dict(DEFAULT_QUEUE)},
    "listeners": {"main": {"queue": "main", "sinks": ["console"]}},
    "root": {"level": "INFO", "queue": "main"},
}


def resolve_profile(
    source: ProfileSource,
    overrides: Overrides | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    extends_roots: ExtendsRoots | None = None,
) -> Profile:
    """A validated profile from a path, a ``Profile``, ``$LOGBOOT_PROFILE``, or the built-in
    default; then ``$LOGBOOT_LEVEL`` and ``overrides`` over it, validated like the file."""
    from logboot.profile.loading import load_profile, override_profile
    from logboot.profile.schema import Profile

    env = os.environ if environ is None else environ
    layered = layered_overrides(overrides, env)
    if source is None:
        from_env = env.get(PROFILE_ENV)
        source = from_env or Profile.model_validate(DEFAULT_PROFILE)
    if isinstance(source, Profile):
        return override_profile(source, layered) if layered else source
    return load_profile(source, env, overrides=layered, extends_roots=extends_roots)


def startup_profile(
    source: ProfileSource,
    overrides: Overrides | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    cache: bool = True,
    extends_roots: ExtendsRoots | None = None,
) -> Profile | PlainProfile:
    """``resolve_profile``, through the profile cache when the profile is a file:
    unchanged inputs give the plain data kept at their last validation."""
    env = os.environ if environ is None else environ
    path = source if source is not None else env.get(PROFILE_ENV)
    folder = profile_cache.cache_folder(env) if cache else None
    key = profile_cache.overrides_key(overrides, extends_roots)
    schema = sys.modules.get("logboot.profile.schema")  # a Profile exists only if it was imported
    if folder is None or key is None or not path or (schema is not None and isinstance(path, schema.Profile)):
        return resolve_profile(source, overrides, env, extends_roots=extends_roots)
    stamp = profile_cache.code_stamp()  # once per start: it reads the package folder
    if stamp is None:  # code that cannot be read (privileges dropped): no caching
        return resolve_profile(source, overrides, env, extends_roots=extends_roots)
    path = os.path.abspath(cast("str | os.PathLike[str]", path))
    kept = profile_cache.load(path, env, key, stamp, folder)
    if kept is not None:
        return kept
    recorder = profile_cache.RecordingEnviron(env)
    result = check_recorded(path, overrides, recorder, extends_roots)
    if result.profile is None:
        raise ProfileError(result.problems, result.warnings)
    if result.document is not None:
        profile_cache.store(path, recorder, key, result.document, result.profile, stamp, folder)
    return result.profile


def check_recorded(
    path: str,
    overrides: Overrides | None,
    recorder: profile_cache.RecordingEnviron,
    extends_roots: ExtendsRoots | None = None,
) -> Validation:
    """Validate a profile file as a start does (``$LOGBOOT_LEVEL``, then ``overrides``),
    reading the environment through ``recorder``: what the cache and a reload key on."""
    from logboot.profile.loading import check_profile

    layered = layered_overrides(overrides, recorder)
    return check_profile(path, recorder, overrides=layered, extends_roots=extends_roots)


def remember(
    path: str,
    recorder: profile_cache.RecordingEnviron,
    result: Validation,
    overrides: Overrides | None,
    extends_roots: ExtendsRoots | None,
    environ: Mapping[str, str],
) -> None:
    """Keep a profile ``check_recorded`` validated in the profile cache, as a start would
    (nothing when caching is off or cannot be done)."""
    folder = profile_cache.cache_folder(environ)
    key = profile_cache.overrides_key(overrides, extends_roots)
    if folder is None or key is None or result.profile is None or result.document is None:
        return
    stamp = profile_cache.code_stamp()
    if stamp is not None:
        profile_cache.store(path, recorder, key, result.document, result.profile, stamp, folder)


def profile_from_data(data: Mapping[str, Any], name: str = "<dictConfig>") -> Profile:
    """Profile data validated the way a file is, then ``$LOGBOOT_LEVEL`` over it
    (``ProfileError`` if it is not valid)."""
    from logboot.profile.loading import validate_data

    return resolve_profile(validate_data(data, name))


def layered_overrides(overrides: Overrides | None, env: Mapping[str, str]) -> list[Override]:
    """``$LOGBOOT_LEVEL``, then ``overrides``, parsed (``ProfileError`` when they cannot be)."""
    from logboot.profile.overrides import environment_overrides, parse_overrides

    parsed, problems = parse_overrides(overrides)
    if problems:
        raise ProfileError(problems)
    return [*environment_overrides(env), *parsed]
