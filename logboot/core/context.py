"""Request context: fields bound in a ``contextvars`` context, carried by every record logged in it.

``context(**fields)`` (a ``with`` block or a decorator), ``bind(**fields)`` and
``unbind(*names)`` set fields; every record logboot's handler takes inside carries them as
attributes, as if they had been passed with ``extra=``. ``bound()`` shows what is bound,
read-only; ``carry(fn)`` runs ``fn`` in a copy of the context current when it is called
(for a thread started here).

The decisions, and why:

- **One ContextVar holding an immutable snapshot**, not one variable per field (structlog)
  nor a thread-local map (logback's MDC, log4j2's ThreadContext). ``bind`` builds a new
  ``Snapshot`` and sets it; a snapshot that was set is never changed. So the producer needs
  no lock, a record holds exactly what was bound when it was logged, and what a thread or
  task sees is what ``contextvars`` gives it: asyncio tasks copy the context when they are
  created, a thread starts with an empty one (before 3.14, and in 3.14's default build),
  a forked child keeps the forking thread's. Nothing leaks from one request to the next
  on a pooled thread unless ``bind`` was used there without ``unbind``: ``context`` always
  restores.
- **Nothing bound costs one read and one test.** The variable's default is None and an
  empty snapshot is stored as None, so ``QueueHandler.handle`` pays a call of
  ``current_snapshot`` (the variable's own ``get``) and an ``is not None``.
- **Captured by the producer, before the handler's filters**: ``capture`` copies the fields
  onto the record in the thread that logs (the listener thread has another context), and
  before ``redact`` runs, so a secret in a context field is scrubbed as an ``extra`` is.
  A field the record already has is left alone: an ``extra`` of the same name wins. The
  names of the fields go in one more attribute, ``CONTEXT_NAMES``, which formatters read
  for ``{context}`` and never write as a field; once it is set, another handler of the
  same call (a parent logger's) captures nothing again.
- **The fields ride as record attributes**, so everything that handles ``extra`` handles
  them: JSON writes them as top-level keys, a text layout reads one by name, the process
  transport sends them (a value it cannot send becomes its ``repr``), ``redact`` scrubs
  them at any depth, and every limit that keeps a strange ``extra`` from breaking a sink
  (depth, cycles, an unprintable value) holds for them too.
- **Names are checked when bound**: a valid identifier, not a dunder, and none of the names a
  record or a JSON line already uses (``RESERVED``), so a context field can never overwrite
  ``msg`` or ``levelname``, shadow the time or level of a JSON line, or forge
  ``exc_traceback``. A bad name raises ``ValueError`` in the code that binds it, not later
  in a sink.
- **``context`` restores exactly**, by token, what was bound before it: fields bound inside
  the block are gone after it too. Its tokens are kept per execution context (``_OPEN``), not
  on the object, so one ``context`` object may be entered by many threads or tasks at once
  and nest. As a decorator it binds for each call: for an ``async def`` function, for the
  coroutine's whole run (not only while the coroutine object is created). Generator
  functions are refused: a binding held across ``yield`` would leak into the code that
  iterates them.
- **Threads get the fields only when asked**: ``carry(fn)`` copies the whole context
  (``contextvars.copy_context``, as asyncio does for a task) when it is called, and runs
  each call of ``fn`` in a fresh copy of it, so one carried function may run in many pool
  threads at once. Inheriting by default (MDC's old ``InheritableThreadLocal``) would hand
  a pooled thread the fields of whichever request first started it.
- **Values are held, not copied**, as with ``extra``: the mapping cannot change, but a
  mutable value changed after the call may show the change in a record not yet written.
  Bind text and numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token, copy_context
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from logboot.core.records import CONTEXT_NAMES, RECORD_ATTRIBUTES

if TYPE_CHECKING:
    import logging
    from types import TracebackType

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


# The keys a JSON line of logboot's writes besides the record's attributes.
JSON_KEYS = frozenset(
    {"time", "level", "logger", "process_name", "thread_name", "function", "line", "stack", "exc_traceback"}
)
# Names a context field may not take: a record's standard attributes (`taskName` on every
# version), those formatters compute or set (`message`, `asctime`, `exc_type`,
# `exc_message`), the `{context}` layout field, the bookkeeping attribute, the JSON keys.
RESERVED = RECORD_ATTRIBUTES | JSON_KEYS | {"taskName", "message", "asctime", "exc_type", "exc_message"}
RESERVED |= {"context", CONTEXT_NAMES}


class Snapshot:
    """The fields bound at one moment: set once in the ContextVar, never changed after."""

    __slots__ = ("items", "names", "view")

    def __init__(self, fields: dict[str, object]) -> None:
        self.items = tuple(fields.items())  # what ``capture`` copies, in the order bound
        self.names = tuple(fields)
        self.view: Mapping[str, object] = MappingProxyType(fields)  # the only reference to the dict

    def __repr__(self) -> str:
        return f"<logboot context {dict(self.view)!r}>"


_CONTEXT: ContextVar[Snapshot | None] = ContextVar("logboot.context", default=None)
# The snapshot bound in the running context, or None: the handler's one read per record.
current_snapshot = _CONTEXT.get
# The tokens of the `context` blocks open in this execution context, innermost last.
_Open = tuple[tuple["context", Token[Snapshot | None]], ...]
_OPEN: ContextVar[_Open] = ContextVar("logboot.context.open", default=())
_EMPTY: Mapping[str, object] = MappingProxyType({})


def capture(record: logging.LogRecord, snapshot: Snapshot) -> None:
    """Set the fields of ``snapshot`` on ``record``, but none it already has (an ``extra``
    wins), and the names of them all in ``CONTEXT_NAMES``; once per record."""
    attributes = record.__dict__
    if CONTEXT_NAMES in attributes:
        return  # another handler of the same call took it already
    for name, value in snapshot.items:
        if name not in attributes:
            attributes[name] = value
    attributes[CONTEXT_NAMES] = snapshot.names


def check_name(name: object) -> str:
    """``name`` if a context field may take it; else ``ValueError`` (``TypeError``) saying why."""
    if not isinstance(name, str):
        raise TypeError(f"logboot context: a field name must be a str, not {type(name).__name__}")
    if not name.isidentifier():
        raise ValueError(f"logboot context: field {name!r} is not a valid identifier")
    if name.startswith("__") and name.endswith("__"):
        raise ValueError(f"logboot context: field {name!r} is a name Python itself uses (a dunder)")
    if name in RESERVED:
        if name in JSON_KEYS:
            what = "a key logboot writes in JSON lines"
        elif name in ("context", CONTEXT_NAMES):
            what = "reserved for the `{context}` layout field and logboot's bookkeeping"
        elif name in RECORD_ATTRIBUTES or name == "taskName":
            what = "a standard LogRecord attribute"
        else:
            what = "a field logging or logboot sets on a record"
        raise ValueError(f"logboot context: field {name!r} is {what}; a context field may not use it")
    return name


def _merged(snapshot: Snapshot | None, fields: Mapping[str, object]) -> Snapshot:
    """``snapshot`` with ``fields`` (names checked already) added or replaced: a new one."""
    if snapshot is None:
        return Snapshot(dict(fields))
    merged = dict(snapshot.view)
    merged.update(fields)
    return Snapshot(merged)


def bind(**fields: object) -> None:
    """Bind ``fields`` in the current context (thread or task) until unbound or the context
    ends; a name bound already takes the new value. Prefer ``context``, which restores."""
    for name in fields:
        check_name(name)
    if fields:
        _CONTEXT.set(_merged(_CONTEXT.get(), fields))


def unbind(*names: str) -> None:
    """Remove ``names`` from the current context; a name that is not bound is ignored."""
    snapshot = _CONTEXT.get()
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"logboot context: a field name must be a str, not {type(name).__name__}")
    if snapshot is None or not any(name in snapshot.view for name in names):
        return
    kept = {name: value for name, value in snapshot.items if name not in names}
    _CONTEXT.set(Snapshot(kept) if kept else None)


def bound() -> Mapping[str, object]:
    """The fields bound in the current context, as a read-only mapping (it never changes)."""
    snapshot = _CONTEXT.get()
    return _EMPTY if snapshot is None else snapshot.view


# Code flags (``inspect.CO_*``; ``inspect`` itself is too heavy to import for `import logboot`).
_CO_GENERATOR, _CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x20, 0x80, 0x200


def _code_flags(fn: object) -> int:
    """The code flags of ``fn`` (through methods and ``functools.partial``); 0 if it has none."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None and not isinstance(fn, type):  # an object with an `async def __call__`
        code = getattr(getattr(type(fn), "__call__", None), "__code__", None)  # noqa: B004 - its code
    flags = getattr(code, "co_flags", 0)
    return flags if isinstance(flags, int) else 0


class context:  # noqa: N801 - used like a function, as contextlib.suppress is
    """Bind ``fields`` for a ``with`` block or for each call of a decorated function, then
    restore exactly what was bound before.

    ``with logboot.context(request_id=rid) as fields:`` (``fields``: what is bound inside;
    ``async with`` works too); ``@logboot.context(job="nightly")`` on a function or an
    ``async def`` function. Nests; one object may be used by many threads and tasks at once.
    """

    __slots__ = ("fields",)

    def __init__(self, **fields: object) -> None:
        for name in fields:
            check_name(name)
        self.fields: Mapping[str, object] = MappingProxyType(fields)

    def __enter__(self) -> Mapping[str, object]:
        snapshot = _merged(_CONTEXT.get(), self.fields) if self.fields else _CONTEXT.get()
        token = _CONTEXT.set(snapshot)
        _OPEN.set((*_OPEN.get(), (self, token)))
        return _EMPTY if snapshot is None else snapshot.view

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        entries = _OPEN.get()
        for at in range(len(entries) - 1, -1, -1):
            if entries[at][0] is self:
                _OPEN.set(entries[:at])
                _CONTEXT.reset(entries[at][1])
                return
        raise RuntimeError("logboot.context: left in a thread or task other than the one that entered it")

    async def __aenter__(self) -> Mapping[str, object]:
        return self.__enter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.__exit__(kind, value, traceback)

    def __call__(self, fn: F) -> F:
        flags = _code_flags(fn)
        if flags & (_CO_GENERATOR | _CO_ASYNC_GENERATOR):
            raise TypeError(
                f"logboot.context cannot decorate the generator function {fn!r}: a binding held "
                "across `yield` would leak into the code that iterates it; bind around each use instead"
            )
        fields = self.fields

        if flags & _CO_COROUTINE:

            @functools.wraps(fn)
            async def bound_coroutine(*args: Any, **kwargs: Any) -> Any:
                token = _CONTEXT.set(_merged(_CONTEXT.get(), fields))
                try:
                    return await fn(*args, **kwargs)
                finally:
                    _CONTEXT.reset(token)

            return bound_coroutine  # type: ignore[return-value]

        @functools.wraps(fn)
        def bound_call(*args: Any, **kwargs: Any) -> Any:
            token = _CONTEXT.set(_merged(_CONTEXT.get(), fields))
            try:
                return fn(*args, **kwargs)
            finally:
                _CONTEXT.reset(token)

        return bound_call  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"logboot.context({', '.join(f'{k}={v!r}' for k, v in self.fields.items())})"


def carry(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn``, to run in a copy of the context as it is now, wherever it is called: for a
    thread started here (``Thread(target=logboot.carry(work))``) or a pool's task. Each
    call runs in a fresh copy, so calls in parallel are fine and none sees another's binds."""
    if _code_flags(fn) & (_CO_GENERATOR | _CO_COROUTINE | _CO_ASYNC_GENERATOR):
        raise TypeError(
            f"logboot.carry takes a plain function, not {fn!r}: its body would run later, in "
            "whatever context iterates or awaits it (asyncio tasks copy the context themselves)"
        )
    captured = copy_context()

    @functools.wraps(fn)
    def in_copy(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(fn, *args, **kwargs)

    return in_copy
