"""``logboot show``: a profile's topology drawn as a tree.

Each logger that feeds a queue leads to the queue, the queue to its listener, the
listener to its sinks. A queue reached a second time is not drawn again.
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from logboot.profile.describe import Description, ListenerNode, LoggerNode, QueueNode, SinkNode


def topology_tree(description: Description) -> Tree:
    """The tree of loggers -> queue -> listener -> sinks."""
    tree = Tree(Text(f"profile {description.source or '<profile>'}", style="bold"))
    drawn: set[str] = set()
    for logger in description.loggers:
        branch = tree.add(_logger_label(logger))
        if logger.queue is not None:
            _add_queue(branch, description, logger.queue, drawn)
    for queue in description.queues:
        if queue.name not in drawn:  # fed by no logger: still drawn, so nothing is hidden
            _add_queue(tree, description, queue.name, drawn)
    in_use = _sinks_in_use(description)
    unused = [sink for sink in description.sinks if sink.name not in in_use]
    if unused:
        branch = tree.add(Text("unused sinks", style="yellow"))
        for sink in unused:
            branch.add(_sink_label(sink))
    signals = ", ".join(description.shutdown.get("signals") or []) or "none"
    tree.add(Text(f"shutdown: timeout {_seconds(description.shutdown.get('timeout'))}, signals {signals}"))
    if description.collect is not None:
        tree.add(Text(f"collect: {description.collect}"))
    return tree


def _add_queue(parent: Tree, description: Description, name: str, drawn: set[str]) -> None:
    queue = description.queue(name)
    if queue is None:  # a valid profile names only queues that exist
        parent.add(Text(f"queue {name} (not defined)", style="red"))
        return
    if name in drawn:
        parent.add(Text(f"queue {name} (shown above)", style="dim"))
        return
    drawn.add(name)
    branch = parent.add(_queue_label(queue))
    listener = description.listener(queue.listener) if queue.listener else None
    if listener is None:
        branch.add(Text("no listener", style="red"))
        return
    listener_branch = branch.add(_listener_label(listener))
    for sink_name in listener.sinks:
        sink = description.sink(sink_name)
        if sink is not None:
            _add_sink(listener_branch, description, sink)


def _add_sink(parent: Tree, description: Description, sink: SinkNode) -> None:
    """The sink, and under it the chain of fallbacks its records go to when it fails."""
    branch = parent.add(_sink_label(sink))
    seen = {sink.name}
    while sink.fallback is not None and sink.fallback not in seen:  # a valid profile has no cycle
        fallback = description.sink(sink.fallback)
        if fallback is None:
            break
        seen.add(fallback.name)
        label = Text("when it fails: ", style="yellow")
        label.append_text(_sink_label(fallback))
        branch = branch.add(label)
        sink = fallback


def _sinks_in_use(description: Description) -> set[str]:
    """The sinks a listener writes to, and the fallbacks those can fail over to."""
    in_use: set[str] = set()
    for sink in description.sinks:
        if not sink.listeners:
            continue
        current: SinkNode | None = sink
        while current is not None and current.name not in in_use:
            in_use.add(current.name)
            current = description.sink(current.fallback) if current.fallback else None
    return in_use


def _logger_label(logger: LoggerNode) -> Text:
    text = Text()
    text.append(f"logger {logger.name}", style="bold cyan")
    details = [f"level {logger.level}" if logger.level else "level inherited"]
    if logger.filters:
        details.append(f"filters {', '.join(logger.filters)}")
    if logger.queue is None:
        details.append("propagates to its parent" if logger.propagate else "does not propagate")
    elif logger.name != "root" and logger.propagate:
        details.append("also propagates")
    text.append(f" ({'; '.join(details)})")
    return text


def _queue_label(queue: QueueNode) -> Text:
    text = Text()
    text.append(f"queue {queue.name}", style="bold magenta")
    size = "unbounded" if queue.max_size == 0 else f"max_size {queue.max_size}"
    overflow = f"overflow {queue.overflow}"
    if queue.block_timeout is not None:
        overflow += f" {_seconds(queue.block_timeout)}"
    details = [queue.kind, size, overflow]
    if queue.shed:
        details.append(f"sheds {queue.shed}")
    if queue.filters:
        details.append(f"filters {', '.join(queue.filters)}")
    text.append(f" ({'; '.join(details)})")
    return text


def _listener_label(listener: ListenerNode) -> Text:
    text = Text()
    text.append(f"listener {listener.name}", style="bold green")
    text.append(f" (batch_size {listener.batch_size})")
    return text


def _sink_label(sink: SinkNode) -> Text:
    text = Text()
    text.append(f"sink {sink.name}", style="bold")
    text.append(f": {sink.type} -> {sink.target}")
    details = [f"level {sink.level}" if sink.level != "NOTSET" else "all levels"]
    # Its kind, unless the name says it already ("json" for a plain json formatter).
    kind = f" ({sink.formatter_kind})" if sink.formatter_kind not in (None, sink.formatter) else ""
    details.append(f"formatter {sink.formatter}{kind}" if sink.formatter else "default formatter")
    if sink.filters:
        details.append(f"filters {', '.join(sink.filters)}")
    text.append(f" ({'; '.join(details)})")
    return text


def _seconds(value: object) -> str:
    if not isinstance(value, (int, float)):
        return str(value)
    return f"{value:g}s"
