"""``setup_logging``: the one line an application calls, a profile resolved, built and started.

It sits above both halves of the house: ``logboot.profile.resolve`` turns what names the
profile into a validated (or cached) profile, and ``logboot.runtime`` builds and swaps in
its topology. The runtime never imports validation; this module is where the two meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from logboot.profile.resolve import ProfileSource, startup_profile
from logboot.runtime.build import build_topology
from logboot.runtime.lifecycle import Runtime, install

if TYPE_CHECKING:
    from logboot.profile.overrides import Overrides
    from logboot.profile.reading import ExtendsRoots


def setup_logging(
    source: ProfileSource = None,
    *,
    overrides: Overrides | None = None,
    cache: bool = True,
    extends_roots: ExtendsRoots | None = None,
) -> Runtime:
    """Validate a profile, build its topology, start it, and swap it in.

    ``overrides`` (``{"queues.main.max_size": 100}`` or ``["root.level=DEBUG"]``) and
    ``$LOGBOOT_LEVEL`` are applied over the profile and validated with it.
    Everything is built and validated before anything global is touched: a profile
    that fails leaves the running configuration as it was. A profile file validated
    before with the same inputs starts from the profile cache (``cache=False`` or
    ``LOGBOOT_CACHE=off`` turn it off; see ``logboot.profile.cache``).
    ``extends`` reads files inside the profile's folder only; ``extends_roots`` (and
    ``$LOGBOOT_EXTENDS_ROOTS``) name other folders it may read from.
    """
    profile = startup_profile(source, overrides, cache=cache, extends_roots=extends_roots)
    return install(Runtime(build_topology(profile)))
