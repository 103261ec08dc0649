"""Read and validate a profile: the one entry point from a file to a ``Profile``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from .errors import Problem, ProfileError
from .reading import Document, read_profile
from .references import check_references
from .schema import Profile
from .validation import translate


@dataclass
class Validation:
    """The outcome of validating one document: a profile, or the problems that prevent it."""

    profile: Profile | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.profile is not None and not self.problems


def validate_document(doc: Document) -> Validation:
    """Schema and cross-reference checks; every problem is collected, none is raised."""
    problems = list(doc.problems)
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(doc.data)
    except ValidationError as err:
        # A value already reported while reading (an unset ${VAR}) is not reported twice.
        seen = {p.path for p in problems}
        problems.extend(p for p in translate(err, doc) if p.path not in seen)
    errors, warnings = check_references(doc)
    problems.extend(errors)
    if profile is not None:
        profile._source = doc.name
    return Validation(profile if not problems else None, problems, warnings)


def check_profile(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Validation:
    """Read and validate a profile file without raising for an invalid profile.

    A missing file still raises ``ProfileNotFoundError``: it is a usage error.
    """
    try:
        doc = read_profile(path, environ)
    except ProfileError as err:
        return Validation(None, err.problems, err.warnings)
    return validate_document(doc)


def load_profile(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Profile:
    """Read and validate a profile; raise ``ProfileError`` listing every problem."""
    result = check_profile(path, environ)
    if result.profile is None:
        raise ProfileError(result.problems, result.warnings)
    return result.profile
