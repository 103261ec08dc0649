"""`import_dictconfig`: an existing dictConfig becomes an equivalent, commented profile."""

from __future__ import annotations

import copy
import json
import logging
import logging.config
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import logboot
from logboot.interop.dictconfig import DictConfigError, export_dictconfig, read_dictconfig
from logboot.interop.dictconfig_import import import_dictconfig
from logboot.profile.reading import read_text

pytestmark = pytest.mark.timeout(30)


def imported(config: dict[str, Any], tmp_path: Path) -> tuple[logboot.Profile, str, list[str]]:
    """Import ``config``, write the profile, and validate it as `logboot check` would."""
    text, notes = import_dictconfig(copy.deepcopy(config), "test.yaml")
    path = tmp_path / "imported.yaml"
    path.write_text(text, encoding="utf-8")
    result = logboot.check_profile(path)
    assert result.ok, [str(p) for p in result.problems]
    assert result.profile is not None
    return result.profile, text, notes


def test_handlers_become_sinks_behind_a_thread_queue(tmp_path: Path) -> None:
    """Stream, file and rotating handlers map to console, file and rotating_file sinks."""
    config = {
        "version": 1,
        "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s", "datefmt": "%H:%M"}},
        "handlers": {
            "out": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
            "file": {"class": "logging.FileHandler", "filename": "x.log", "level": "warning"},
            "big": {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": "big.log",
                "maxBytes": 10 * 1024 * 1024,
                "backupCount": 3,
            },
        },
        "root": {"level": "INFO", "handlers": ["out", "file", "big"]},
        "disable_existing_loggers": False,
    }
    profile, _, notes = imported(config, tmp_path)
    assert [n for n in notes if not n.startswith("text sinks escape")] == []
    assert profile.sinks["out"].type == "console"
    assert profile.sinks["out"].stream == "stdout"  # type: ignore[union-attr]
    assert profile.sinks["file"].type == "file"
    assert profile.sinks["file"].level == logging.WARNING
    assert profile.sinks["big"].max_bytes == 10 * 1024 * 1024  # type: ignore[union-attr]
    assert profile.sinks["big"].backup_count == 3  # type: ignore[union-attr]
    assert profile.queues["main"].kind == "thread"
    assert profile.queues["main"].overflow == "block"
    assert profile.listeners["main"].sinks == ["out", "file", "big"]
    assert profile.root.queue == "main"
    assert profile.root.level == logging.INFO
    formatter = profile.formatters["plain"]
    assert (formatter.format, formatter.style, formatter.datefmt) == (  # type: ignore[union-attr]
        "%(levelname)s %(name)s %(message)s",
        "%",
        "%H:%M",
    )
    # A handler without a formatter wrote the bare message, and still does.
    assert profile.formatters[profile.sinks["file"].formatter or ""].format == "%(message)s"  # type: ignore[union-attr]


def test_loggers_with_their_own_handlers_get_their_own_queue(tmp_path: Path) -> None:
    """A logger's handlers become a queue and listener of its own; propagate is explicit."""
    config = {
        "version": 1,
        "handlers": {
            "a": {"class": "logging.FileHandler", "filename": "a.log"},
            "b": {"class": "logging.FileHandler", "filename": "b.log"},
        },
        "loggers": {
            "app.db": {"level": "DEBUG", "handlers": ["b"], "propagate": False},
            "app.web": {"handlers": ["b"]},
            "quiet": {"level": "ERROR"},
        },
        "root": {"handlers": ["a"], "level": "WARNING"},
    }
    profile, _, _ = imported(config, tmp_path)
    assert profile.loggers["app.db"].queue == "app_db"
    assert profile.loggers["app.db"].propagate is False
    assert profile.loggers["app.web"].queue == "app_db"  # the same handlers share one queue
    assert profile.loggers["app.web"].propagate is True  # logging's default, written out
    assert profile.loggers["quiet"].queue is None
    assert profile.loggers["quiet"].level == logging.ERROR
    assert profile.listeners["app_db"].sinks == ["b"]


def test_a_312_queue_handler_becomes_a_queue_and_listener(tmp_path: Path) -> None:
    """`handlers`, `queue` (with maxsize) and `respect_handler_level` map; the level is noted."""
    config = {
        "version": 1,
        "handlers": {
            "file": {"class": "logging.FileHandler", "filename": "q.log", "level": "INFO"},
            "qh": {
                "class": "logging.handlers.QueueHandler",
                "handlers": ["file"],
                "queue": {"()": "queue.Queue", "maxsize": 500},
                "listener": "mypackage.Listener",
                "level": "DEBUG",
            },
        },
        "root": {"handlers": ["qh"], "level": "DEBUG"},
    }
    profile, text, notes = imported(config, tmp_path)
    assert profile.queues["qh"].max_size == 500
    assert profile.queues["qh"].overflow == "drop_newest"
    assert profile.queues["qh"].filters == ["qh_level"]
    assert profile.filters["qh_level"].min == logging.DEBUG  # type: ignore[union-attr]
    assert profile.listeners["qh"].sinks == ["file"]
    assert profile.root.queue == "qh"
    assert any("listener 'mypackage.Listener' has no equivalent" in n for n in notes)
    assert any("ignored the levels of file" in n for n in notes)
    assert "# logging dropped a record when this queue was full" in text


def test_what_has_no_equivalent_is_left_out_with_a_comment(tmp_path: Path) -> None:
    """Custom handlers, filters and formatters become comments; a custom sink is suggested."""
    config = {
        "version": 1,
        "formatters": {"odd": {"()": "myapp.Fmt", "fmt": "%(request_id)s %(message)s"}},
        "filters": {"mine": {"()": "myapp.Filter"}, "app": {"name": "app"}},
        "handlers": {
            "mail": {"class": "logging.handlers.SMTPHandler", "mailhost": "localhost", "toaddrs": ["a@b"]},
            "file": {
                "class": "logging.FileHandler",
                "filename": "f.log",
                "formatter": "odd",
                "filters": ["mine", "app"],
            },
        },
        "root": {"handlers": ["mail", "file"]},
    }
    profile, text, notes = imported(config, tmp_path)
    assert list(profile.sinks) == ["file"]
    assert profile.sinks["file"].filters == ["app"]
    assert profile.sinks["file"].formatter is None
    assert "  # handler 'mail' (logging.handlers.SMTPHandler) has no logboot sink type" in text
    assert "  # mail:\n  #   type: custom\n  #   factory: logging.handlers:SMTPHandler\n" in text
    assert "  # filter 'mine' is made by myapp.Filter" in text
    assert any("formatter 'odd' is made by myapp.Fmt and uses request_id" in n for n in notes)
    # Every note stands as a comment too (beside what it is about, which the note names).
    comments = " ".join(
        line.strip().lstrip("# ") for line in text.splitlines() if line.lstrip().startswith("#")
    )
    for note in notes:
        assert note.split(": ", 1)[-1] in comments or note in comments, note
    assert "sinks.file: formatter 'odd' was left out; this sink uses the default layout" in notes


def test_a_root_without_handlers_keeps_pythons_last_resort(tmp_path: Path) -> None:
    """uvicorn's config leaves root alone: warnings still reach stderr, nothing twice."""
    uvicorn_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"}
        },
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default"}},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": True},
            "uvicorn.error": {"level": "INFO"},
        },
    }
    profile, text, _ = imported(uvicorn_config, tmp_path)
    assert profile.sinks["last_resort"].level == logging.WARNING
    assert profile.listeners[profile.root.queue or ""].sinks == ["last_resort"]
    assert profile.loggers["uvicorn"].propagate is False  # root had nothing to add
    assert "# dictConfig left the root logger alone" in text


def test_timed_rotation_and_syslog_map_with_notes(tmp_path: Path) -> None:
    """TimedRotatingFileHandler and SysLogHandler map; backupCount 0 and RFC 5424 are noted."""
    config = {
        "version": 1,
        "handlers": {
            "daily": {
                "class": "logging.handlers.TimedRotatingFileHandler",
                "filename": "d.log",
                "when": "d",
                "interval": 2,
                "utc": True,
                "atTime": "ext://datetime.time",
            },
            "sys": {
                "class": "logging.handlers.SysLogHandler",
                "address": ["127.0.0.1", 5514],
                "socktype": "ext://socket.SOCK_STREAM",
                "facility": 16,
            },
            "remote": {"class": "logging.handlers.SysLogHandler", "address": ["logs.example.com", 514]},
            "local": {
                "class": "logging.handlers.SysLogHandler",
                "address": "/dev/log",
                "facility": "security",
            },
        },
        "root": {"handlers": ["daily", "sys", "remote", "local"]},
    }
    profile, _, notes = imported(config, tmp_path)
    daily = profile.sinks["daily"]
    assert (daily.when, daily.interval, daily.utc, daily.backup_count) == ("D", 2, True, 365)  # type: ignore[union-attr]
    sys_sink = profile.sinks["sys"]
    assert (sys_sink.protocol, sys_sink.address, sys_sink.facility) == ("tcp", "127.0.0.1:5514", "local0")  # type: ignore[union-attr]
    assert profile.sinks["remote"].insecure is True  # type: ignore[union-attr]
    assert profile.sinks["remote"].protocol == "udp"  # type: ignore[union-attr]
    local = profile.sinks["local"]
    assert (local.protocol, local.facility) == ("unix", "auth")  # type: ignore[union-attr]
    assert any("backupCount 0 kept every rolled file" in n for n in notes)
    assert any("`atTime` has no equivalent" in n for n in notes)


def test_dollar_signs_stay_literal(tmp_path: Path) -> None:
    """A `$` in a dictConfig value is escaped, so logboot does not expand it as `${VAR}`."""
    config = {
        "version": 1,
        "formatters": {"t": {"format": "${levelname} ${message}", "style": "$"}},
        "handlers": {"f": {"class": "logging.FileHandler", "filename": "cost$${HOME}.log", "formatter": "t"}},
        "root": {"handlers": ["f"]},
    }
    profile, _, _ = imported(config, tmp_path)
    assert profile.formatters["t"].format == "${levelname} ${message}"  # type: ignore[union-attr]
    assert profile.sinks["f"].path == "cost$${HOME}.log"  # type: ignore[union-attr]


def test_memory_handlers_write_to_their_target(tmp_path: Path) -> None:
    """A MemoryHandler is replaced by its target: the listener already batches."""
    config = {
        "version": 1,
        "handlers": {
            "file": {"class": "logging.FileHandler", "filename": "m.log"},
            "buffer": {"class": "logging.handlers.MemoryHandler", "capacity": 100, "target": "file"},
        },
        "loggers": {"app": {"handlers": ["buffer"], "propagate": False}},
    }
    profile, _, notes = imported(config, tmp_path)
    assert profile.listeners[profile.loggers["app"].queue or ""].sinks == ["file"]
    assert any("MemoryHandler 'buffer' buffered records for this sink" in n for n in notes)


def test_the_frameworks_default_configs_import_cleanly(tmp_path: Path) -> None:
    """gunicorn's and Django's default dictConfigs import to valid profiles."""
    gunicorn = pytest.importorskip("gunicorn.glogging")
    django_log = pytest.importorskip("django.utils.log")
    for config in (gunicorn.CONFIG_DEFAULTS, django_log.DEFAULT_LOGGING):
        imported(config, tmp_path)


def test_an_exported_document_imports_back_to_its_profile(tmp_path: Path) -> None:
    """`import` of what `export` wrote gives the profile inside it back."""
    profile = logboot.load_profile(Path(__file__).parent.parent / "configs" / "dev.yaml")
    text, notes = import_dictconfig(export_dictconfig(profile))
    assert notes == ["<dictConfig> was written by `logboot export`: this is the profile inside it"]
    doc = read_text(text, "back.yaml")
    assert doc.problems == []
    back = logboot.Profile.model_validate(doc.data)
    assert back.model_dump() == profile.model_dump()


def test_read_dictconfig_takes_yaml_and_json_and_refuses_the_rest() -> None:
    """JSON and YAML documents are read; a tag, a non-mapping or bad syntax is an error."""
    assert read_dictconfig('{"version": 1}') == {"version": 1}
    assert read_dictconfig("version: 1\nroot: {level: INFO}\n") == {"version": 1, "root": {"level": "INFO"}}
    with pytest.raises(DictConfigError, match=r"^c.yaml: not valid YAML or JSON: "):
        read_dictconfig("version: 1\nx: !!python/object/apply:os.system ['true']\n", "c.yaml")
    with pytest.raises(DictConfigError, match=r"^c.json: expected a mapping with 'version: 1' at the top$"):
        read_dictconfig("[1, 2]", "c.json")
    with pytest.raises(DictConfigError, match=r"^<dictConfig>: expected 'version: 1', got 2$"):
        import_dictconfig({"version": 2})


def test_an_imported_profile_writes_what_dictconfig_wrote(tmp_path: Path) -> None:
    """The same logging calls put the same lines in the same files, through either setup."""
    config = yaml.safe_load(
        textwrap.dedent(
            f"""\
            version: 1
            disable_existing_loggers: false
            formatters:
              line: {{format: "%(levelname)s %(name)s %(message)s"}}
            filters:
              db_only: {{name: app.db}}
            handlers:
              all: {{class: logging.FileHandler, filename: "{tmp_path}/all.log", formatter: line}}
              errors:
                class: logging.FileHandler
                filename: "{tmp_path}/errors.log"
                level: ERROR
                formatter: line
              db: {{class: logging.FileHandler, filename: "{tmp_path}/db.log", filters: [db_only]}}
            loggers:
              app: {{level: DEBUG, handlers: [db]}}
              app.noisy: {{level: ERROR}}
              private: {{handlers: [errors], propagate: false}}
            root: {{level: INFO, handlers: [all, errors]}}
            """
        )
    )

    def log_everything() -> None:
        for name in ("app", "app.db", "app.db.pool", "app.noisy", "private", "other"):
            for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
                logging.getLogger(name).log(level, "%s at %s", name, logging.getLevelName(level))

    def read_all() -> dict[str, list[str]]:
        out = {}
        for name in ("all", "errors", "db"):
            path = tmp_path / f"{name}.log"
            out[name] = path.read_text(encoding="utf-8").splitlines()
            path.unlink()
        return out

    saved = {name: logging.getLogger(name).level for name in ("app", "app.noisy", "private")}
    logging.config.dictConfig(copy.deepcopy(config))
    log_everything()
    for handler in {*logging.getLogger().handlers, *logging.getLogger("app").handlers}:
        handler.close()
    for name in ("app", "app.noisy", "private"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    root = logging.getLogger()
    root.handlers = []
    expected = read_all()
    assert len(expected["all"]) > 10 and expected["db"] and expected["errors"]

    text, _ = import_dictconfig(json.loads(json.dumps(config)))
    profile_path = tmp_path / "imported.yaml"
    profile_path.write_text(text, encoding="utf-8")
    with logboot.setup_logging(profile_path):
        log_everything()
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)
    found = read_all()
    assert found["all"] == expected["all"]
    assert found["db"] == expected["db"]
    # Two queues feed errors.log (the root's and private's): each keeps its order, not the two together.
    assert sorted(found["errors"]) == sorted(expected["errors"])


def test_odd_entries_are_noted_and_the_rest_still_imports(tmp_path: Path) -> None:
    """Malformed, custom and partial entries each get a note; what maps still makes a valid profile."""
    config: dict[str, Any] = {
        "version": 1,
        "incremental": True,
        "objects": {},
        "formatters": {
            "junk": "x",
            "odd_style": {"style": "?"},
            "bad": {"format": "%(message", "style": "%"},
            "custom": {"class": "my.Formatter", "format": "%(message)s"},
            "defaults": {"format": "%(x)s %(message)s", "defaults": {"x": 1}},
            "brace": {"style": "{"},
        },
        "filters": {"junk": 5, "everything": {"name": ""}, "only_a": {"name": "a"}},
        "handlers": {
            "junk": 3,
            "other_stream": {"class": "logging.StreamHandler", "stream": "cfg://streams.x"},
            "nofile": {"class": "logging.FileHandler"},
            "file": {
                "class": "logging.FileHandler",
                "filename": "f.log",
                "encoding": "latin-1",
                "mode": "w",
                "delay": True,
                "filters": ["everything", "missing"],
                ".": {"x": 1},
                "formatter": "brace",
                "extra_key": 1,
            },
            "watched": {
                "class": "logging.handlers.WatchedFileHandler",
                "filename": "w.log",
                "formatter": "bad",
            },
            "norotate": {"class": "logging.handlers.RotatingFileHandler", "filename": "r.log"},
            "shared": {
                "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
                "filename": "c.log",
                "maxBytes": 1000,
                "backupCount": 2,
                "use_gzip": True,
            },
            "timed": {
                "class": "logging.handlers.TimedRotatingFileHandler",
                "filename": "t.log",
                "backupCount": 3,
            },
            "nothing": {"class": "logging.NullHandler", "formatter": "custom"},
            "bad_syslog": {"class": "logging.handlers.SysLogHandler", "address": 5},
            "odd_facility": {
                "class": "logging.handlers.SysLogHandler",
                "address": ["127.0.0.1", 514],
                "facility": "bogus",
            },
            "lost": {"class": "logging.handlers.MemoryHandler", "capacity": 1, "target": "junk"},
            "empty_queue": {"class": "logging.handlers.QueueHandler", "handlers": ["junk"]},
            "queue": {
                "class": "logging.handlers.QueueHandler",
                "handlers": ["file", "junk"],
                "queue": "ext://multiprocessing.Queue",
                "formatter": "custom",
                "filters": ["everything"],
            },
            "factory": {"()": "my.handler_factory", "x": 1},
        },
        "loggers": {
            "bad": 3,
            "root": {"level": "debug"},
            "mixed": {"handlers": ["queue", "watched", "nope"]},
            "filtered": {"filters": ["everything", "only_a"], "propagate": False},
            "a": {"handlers": ["timed"]},
            "a.b": {"handlers": ["shared"], "propagate": True},
        },
        "root": {"handlers": ["nothing", "norotate"], "filters": ["everything"]},
    }
    profile, text, notes = imported(config, tmp_path)
    assert profile.root.level == logging.DEBUG
    assert profile.sinks["file"].encoding == "latin-1"  # type: ignore[union-attr]
    assert profile.sinks["norotate"].type == "file"
    assert profile.sinks["shared"].type == "concurrent_rotating_file"
    assert profile.sinks["shared"].compress == "gzip"  # type: ignore[union-attr]
    assert profile.sinks["timed"].backup_count == 3  # type: ignore[union-attr]
    assert profile.sinks["nothing"].formatter is None
    assert profile.loggers["a.b"].propagate is True
    assert profile.loggers["filtered"].propagate is False
    assert profile.listeners[profile.loggers["mixed"].queue or ""].sinks == ["file", "watched"]
    expected = [
        "`incremental: true` only changed the levels",
        "top-level key 'objects' is not part of dictConfig",
        "formatter 'junk' is not a mapping",
        "formatter 'odd_style': unknown style '?'",
        "formatter 'bad': invalid format '%(message'",
        "formatters.custom: made by my.Formatter in logging",
        "formatters.defaults: `defaults` has no equivalent",
        "filter 'junk' is not a mapping",
        "handler 'junk' is not a mapping",
        "handler 'other_stream' writes to 'cfg://streams.x'",
        "handler 'nofile' has no `filename`",
        "sinks.file: mode 'w': logboot always appends",
        "sinks.file: filter 'missing' is not defined",
        "sinks.file: attributes set with '.' have no equivalent",
        "sinks.file: `extra_key` of logging.FileHandler has no equivalent",
        "sinks.watched: formatter 'bad' was left out",
        "sinks.norotate: logging never rolled this file over",
        "handler 'bad_syslog': syslog address 5 is not understood",
        "sinks.odd_facility: facility 'bogus' is not understood",
        "MemoryHandler 'lost' has no target",
        "QueueHandler 'empty_queue' has no handler logboot could map",
        "queues.queue: queue 'ext://multiprocessing.Queue' has no equivalent",
        "queues.queue: a formatter on a QueueHandler has no equivalent",
        "queues.queue: handler 'junk' behind QueueHandler 'queue' was left out",
        "handler 'factory' (my.handler_factory) has no logboot sink type",
        "logger 'bad' is not a mapping",
        "logger 'mixed' mixes QueueHandler 'queue' with other handlers",
        "logger 'mixed' names handler 'nope', which is not defined",
        "loggers.filtered: logger filters in logboot also apply",
    ]
    for start in expected:
        assert any(start in note for note in notes), start
    assert "  # mode 'w': logboot always appends, never truncates at start\n" in text


def test_sections_that_are_not_mappings_are_noted(tmp_path: Path) -> None:
    """`handlers: nope` is noted and ignored; the profile still validates."""
    profile, _, notes = imported(
        {"version": 1, "handlers": "nope", "disable_existing_loggers": False}, tmp_path
    )
    assert notes[0] == "`handlers` is not a mapping; ignored"
    assert list(profile.sinks) == ["last_resort"]


DJANGO_RUN = """
import logging, logging.config, sys
from django.conf import settings
settings.configure(DEBUG=False, LOGGING_CONFIG=None)
from django.utils.log import DEFAULT_LOGGING
if sys.argv[1] == "dictconfig":
    logging.config.dictConfig(DEFAULT_LOGGING)
else:
    import logboot
    runtime = logboot.setup_logging(sys.argv[1])
for name in ("django", "django.request", "django.db.backends", "django.server", "shop"):
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        logging.getLogger(name).log(level, "rec %s %s", name, logging.getLevelName(level))
if sys.argv[1] != "dictconfig":
    runtime.stop()
"""


def django_lines(how: str, tmp_path: Path) -> set[tuple[str, str]]:
    """(logger, level) of each record the Django run printed, set up ``how``."""
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_RUN, how],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = set()
    for line in (done.stdout + done.stderr).splitlines():
        if "rec " in line:
            name, level = line[line.index("rec ") :].split()[1:3]
            found.add((name, level))
    return found


def test_a_dropped_django_filter_is_named_with_exactly_what_now_gets_through(tmp_path: Path) -> None:
    """Django's own DEFAULT_LOGGING with DEBUG=False: the import prints what the original did,
    plus exactly the records its note on the console sink names; with the suggested custom
    filter (allow_custom: true) it prints exactly what the original printed."""
    django_log = pytest.importorskip("django.utils.log")
    _, text, notes = imported(django_log.DEFAULT_LOGGING, tmp_path)
    before = django_lines("dictconfig", tmp_path)
    after = django_lines(str(tmp_path / "imported.yaml"), tmp_path)

    (note,) = [n for n in notes if n.startswith("sinks.console: filter 'require_debug_true'")]
    assert "(INFO and above) from logger 'django' and the children that propagate to it" in note
    assert before <= after  # nothing the original printed is lost
    levels = {"INFO", "WARNING", "ERROR"}
    named = {(n, lv) for n in ("django", "django.request", "django.db.backends") for lv in levels}
    assert after - before == named  # and what is new is exactly what the note says

    kept = yaml.safe_load(text)
    kept["allow_custom"] = True
    kept["filters"] = {
        "require_debug_true": {"type": "custom", "factory": "django.utils.log:RequireDebugTrue"}
    }
    kept["sinks"]["console"]["filters"] = ["require_debug_true"]
    (tmp_path / "kept.yaml").write_text(yaml.safe_dump(kept), encoding="utf-8")
    assert django_lines(str(tmp_path / "kept.yaml"), tmp_path) == before


# Flask's documented logging config ("Basic Configuration" in Flask's logging docs).
FLASK_CONFIG = {
    "version": 1,
    "formatters": {"default": {"format": "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"}},
    "handlers": {
        "wsgi": {
            "class": "logging.StreamHandler",
            "stream": "ext://flask.logging.wsgi_errors_stream",
            "formatter": "default",
        }
    },
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}
FLASK_RUN = """
import json, logging, logging.config, sys
config = json.loads(sys.argv[2])
if sys.argv[1] == "dictconfig":
    logging.config.dictConfig(config)
else:
    import logboot
    runtime = logboot.setup_logging(sys.argv[1])
for level in (logging.DEBUG, logging.INFO, logging.ERROR):
    logging.getLogger("shop").log(level, "order %s", logging.getLevelName(level))
if sys.argv[1] != "dictconfig":
    runtime.stop()
"""


def test_flasks_documented_config_keeps_its_stream_handler(tmp_path: Path) -> None:
    """The root's `wsgi` handler (Flask's `wsgi_errors_stream`) becomes a stderr sink, noted;
    both setups print the same records to stderr (the time stamp's layout aside)."""
    flask_logging = pytest.importorskip("flask.logging")
    assert hasattr(flask_logging, "wsgi_errors_stream")  # the stream the config names exists
    profile, _, notes = imported(FLASK_CONFIG, tmp_path)
    assert profile.sinks["wsgi"].type == "console"
    assert profile.sinks["wsgi"].stream == "stderr"  # type: ignore[union-attr]
    assert "last_resort" not in profile.sinks
    assert any(n.startswith("sinks.wsgi: Flask's wsgi_errors_stream") for n in notes)

    def printed(how: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", FLASK_RUN, how, json.dumps(FLASK_CONFIG)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        return [line.split("] ", 1)[1] for line in done.stderr.splitlines()]

    expected = ["INFO in <string>: order INFO", "ERROR in <string>: order ERROR"]
    assert printed("dictconfig") == expected
    assert printed(str(tmp_path / "imported.yaml")) == expected


LAYOUT_RUN = """
import logging, logging.config, sys
how, config_json = sys.argv[1], sys.argv[2]
if how == "dictconfig":
    import json
    logging.config.dictConfig(json.loads(config_json))
else:
    import logboot
    runtime = logboot.setup_logging(how)
log = logging.getLogger("app")
log.info("line one\\nline two")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed %s", "badly")
if how != "dictconfig":
    runtime.stop()
"""


def test_what_the_import_notes_about_layouts_is_what_changes(tmp_path: Path) -> None:
    """A newline in a message and a traceback: the import writes them escaped and indented,
    as its note says; `stdlib_layout: true`, as the note offers, gives logging's exact bytes."""
    log_file = tmp_path / "app.log"
    config = {
        "version": 1,
        "formatters": {"line": {"format": "%(levelname)s %(name)s %(message)s"}},
        "handlers": {
            "file": {"class": "logging.FileHandler", "filename": str(log_file), "formatter": "line"}
        },
        "root": {"level": "INFO", "handlers": ["file"]},
    }
    _, text, notes = imported(config, tmp_path)
    assert any(n.startswith("text sinks escape what could forge a line") for n in notes)

    def written(how: str) -> bytes:
        done = subprocess.run(
            [sys.executable, "-c", LAYOUT_RUN, how, json.dumps(config)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        data = log_file.read_bytes()
        log_file.unlink()
        return data

    original = written("dictconfig")
    assert original.startswith(b"INFO app line one\nline two\nERROR app failed badly\nTraceback")
    imported_lines = written(str(tmp_path / "imported.yaml")).decode().splitlines()
    assert imported_lines[0] == "INFO app line one\\nline two"  # the line break, escaped
    assert imported_lines[1] == "ERROR app failed badly"
    assert imported_lines[2] == "    Traceback (most recent call last):"  # indented under its record
    assert all(line.startswith("    ") for line in imported_lines[2:])
    assert [line[4:] for line in imported_lines[2:]] == original.decode().splitlines()[3:]

    kept = yaml.safe_load(text)
    kept["formatters"]["line"]["stdlib_layout"] = True
    (tmp_path / "kept.yaml").write_text(yaml.safe_dump(kept), encoding="utf-8")
    assert written(str(tmp_path / "kept.yaml")) == original  # byte for byte


SERVER_RUN = """
import json, logging, logging.config, sys
how, config = sys.argv[1], json.loads(sys.argv[2])
if how == "dictconfig":
    logging.config.dictConfig(config)
else:
    import logboot
    runtime = logboot.setup_logging(how)
calls = json.loads(sys.argv[3])
for name, level, msg, args in calls:
    logging.getLogger(name).log(level, msg, *args)
if how != "dictconfig":
    runtime.stop()
"""


def server_calls(names: list[str]) -> list[tuple[str, int, str, list[object]]]:
    calls: list[tuple[str, int, str, list[object]]] = []
    for name in [*names, "app", ""]:
        if name == "uvicorn.access":
            continue  # uvicorn's own formatter fails on any other shape of call (5 args or nothing)
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
            calls.append((name, level, "%s at level %s", [name or "root", level]))
    calls.append(
        (
            "uvicorn.access",
            logging.INFO,
            '%s - "%s %s HTTP/%s" %d',
            ["127.0.0.1:5000", "GET", "/x", "1.1", 200],
        )
    )
    return calls


@pytest.mark.parametrize("package", ["uvicorn", "gunicorn"])
def test_a_servers_own_config_routes_every_record_as_before(tmp_path: Path, package: str) -> None:
    """uvicorn's LOGGING_CONFIG and gunicorn's CONFIG_DEFAULTS, from the installed packages:
    every record reaches the same stream (stdout or stderr) as many times as under dictConfig;
    what differs is the layout, which the import's notes name."""
    if package == "uvicorn":
        config = pytest.importorskip("uvicorn.config").LOGGING_CONFIG
        names = ["uvicorn", "uvicorn.error", "uvicorn.access"]
    else:
        config = pytest.importorskip("gunicorn.glogging").CONFIG_DEFAULTS
        names = ["gunicorn.error", "gunicorn.access"]
    _, _, notes = imported(config, tmp_path)
    calls = server_calls(names)
    messages = [msg % tuple(args) for _, _, msg, args in calls]

    def counts(how: str) -> dict[str, list[int]]:
        done = subprocess.run(
            [sys.executable, "-c", SERVER_RUN, how, json.dumps(config), json.dumps(calls)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return {
            stream: [sum(m in line for line in text.splitlines()) for m in messages]
            for stream, text in (("stdout", done.stdout), ("stderr", done.stderr))
        }

    assert counts(str(tmp_path / "imported.yaml")) == counts("dictconfig")
    if package == "uvicorn":  # its formatters only uvicorn provides: the default layout, said so
        assert any(n.startswith("sinks.access: formatter 'access' was left out") for n in notes)
    else:  # gunicorn.access also propagates to the root's handler: twice, as before
        assert any(
            n.startswith("loggers.gunicorn.access: its records reach the same handlers twice") for n in notes
        )
