"""A profile at run time: the Runtime lifecycle, building and starting the topology, the
producer-side handler, queues, listeners, the process transport and signals.

Nothing here imports pydantic, yaml or the schema models at run time (a cached start runs
only this, ``sinks``, ``formatters`` and ``filters``); ``lint-imports`` holds that.
"""
