"""Read and validate a profile: a file, or data, to a ``Profile``, every problem collected."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from logboot.errors import Problem, ProfileError
from logboot.profile.dumping import profile_data
from logboot.profile.overrides import Override, Overrides, apply_overrides, as_overrides
from logboot.profile.reading import Document, ExtendsRoots, document_from_data, read_profile
from logboot.profile.references import check_references
from logboot.profile.safety import check_safety
from logboot.profile.schema import Profile
from logboot.profile.validation import translate


@dataclass
class Validation:
    """The outcome of validating one document: a profile, or the problems that prevent it."""

    profile: Profile | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: The document read (data and source positions), when the file could be read.
    document: Document | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.profile is not None and not self.problems


def validate_document(doc: Document) -> Validation:
    """Safety, schema and cross-reference checks; every problem is collected, none is raised."""
    # Keys and values that would run code come first: their explanation replaces pydantic's
    # "unknown key" for the same path (deduplicated below).
    problems = [*doc.problems, *check_safety(doc)]
    if not doc.data and doc.problems:
        # Nothing could be read (invalid YAML, an empty file): schema errors would be noise.
        return Validation(None, problems, [], doc)
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(doc.data)
    except ValidationError as err:
        # A value already reported while reading (an unset ${VAR}) is not reported twice.
        seen = {p.path for p in problems}
        problems.extend(p for p in translate(err, doc) if p.path not in seen)
    errors, warnings = check_references(doc)
    refused = {p.path for p in problems}  # a refused `cfg://` value is not also a dangling name
    problems.extend(e for e in errors if e.path not in refused)
    if profile is not None:
        profile.set_source(doc.name)
    return Validation(profile if not problems else None, problems, warnings, doc)


def check_profile(
    path: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Overrides | Sequence[Override] | None = None,
    extends_roots: ExtendsRoots | None = None,
) -> Validation:
    """Read and validate a profile file without raising for an invalid profile.

    ``overrides`` (``{"queues.main.max_size": 100}`` or ``["root.level=DEBUG"]``) are
    applied to what was read, before validation; their problems are located as
    ``<override>``. ``extends`` may read files inside the profile's folder, and inside
    ``extends_roots`` and ``$LOGBOOT_EXTENDS_ROOTS`` (folders). A missing file still
    raises ``ProfileNotFoundError``: it is a usage error.
    """
    try:
        doc = read_profile(path, environ, extends_roots=extends_roots)
    except ProfileError as err:
        return Validation(None, err.problems, err.warnings)
    if overrides:
        parsed, problems = as_overrides(overrides)
        doc.problems.extend(problems)
        apply_overrides(doc, parsed)
    return validate_document(doc)


def load_profile(
    path: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Overrides | Sequence[Override] | None = None,
    extends_roots: ExtendsRoots | None = None,
) -> Profile:
    """Read and validate a profile; raise ``ProfileError`` listing every problem.

    ``extends_roots``: folders besides the profile's own that ``extends`` may read from.
    """
    return _validated(check_profile(path, environ, overrides=overrides, extends_roots=extends_roots))


def validate_data(data: Mapping[str, Any], name: str) -> Profile:
    """Profile data that did not come from a file, validated as a file is (``ProfileError``)."""
    return _validated(validate_document(document_from_data(data, name)))


def override_profile(profile: Profile, overrides: Sequence[Override]) -> Profile:
    """``profile`` with ``overrides`` applied, validated again; ``ProfileError`` if they break it."""
    doc = document_from_data(profile_data(profile), profile.source or "<profile>")
    apply_overrides(doc, overrides)
    validated = _validated(validate_document(doc))
    validated.set_source(profile.source)
    return validated


def _validated(result: Validation) -> Profile:
    if result.profile is None:
        raise ProfileError(result.problems, result.warnings)
    return result.profile
