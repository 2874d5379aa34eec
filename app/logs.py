"""Process-wide logging: one structlog configuration for the request lines and for every
stdlib logger (``app.*``, uvicorn's), JSON lines on stdout or a console rendering.

``SCIM_LOG_FORMAT=json`` (the default when stdout is not a terminal) writes one JSON object
a line: ``timestamp`` (UTC, ISO 8601), ``level``, ``event``, ``logger`` for stdlib records,
and the ``request_id`` of the request the line was written in. ``console`` is for people.
uvicorn's access logger is switched off: ``app.http.request_log`` writes the request line.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from app.scim import observed

Format = Literal["json", "console"]

_HANDLER_NAME = "scim-server"


def _request_id(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """The id of the request being served, on every line written while serving it."""
    if "request_id" not in event:
        record = observed.current()
        if record is not None:
            event["request_id"] = record.request_id
    return event


def _json(value: Any, **_kw: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class _Stdout:
    """``sys.stdout`` as it is when a line is written (tests and tools swap it)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def isatty(self) -> bool:
        return sys.stdout.isatty()


def resolve_format(configured: str | None, stream: TextIO) -> Format:
    if configured in ("json", "console"):
        return configured  # type: ignore[return-value]
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


def configure(
    level: str = "info", log_format: str | None = None, stream: TextIO | None = None
) -> None:
    """(Re)configure logging for this process; safe to call more than once."""
    out: TextIO = stream or _Stdout()  # type: ignore[assignment]
    chosen = resolve_format(log_format, out)
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: Processor
    if chosen == "json":
        renderer = structlog.processors.JSONRenderer(serializer=_json)
        exceptions: list[Processor] = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        exceptions = []
    shared: list[Processor] = [
        _request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    structlog.configure(
        processors=[*shared, *exceptions, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, *exceptions],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    # SCIM_LOG_LEVEL=debug is for this service's own lines: drivers' debug output holds
    # statement parameters (filter values, e-mail addresses), so it stays off.
    root.setLevel(max(numeric, logging.INFO))
    logging.getLogger("app").setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(numeric)
    global _writer
    _writer = RequestWriter(numeric, chosen, out, renderer)
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True


class RequestWriter:
    """Writes the request lines: the same JSON (or console) rendering as every other line,
    without structlog's per-call processor chain, which costs ten times the write itself
    on a line written for every request."""

    def __init__(self, level: int, chosen: Format, out: TextIO, renderer: Processor) -> None:
        self.level = level
        self.json = chosen == "json"
        self._out = out
        self._renderer = renderer

    def enabled(self, level: int) -> bool:
        return level >= self.level

    def write(
        self, level: int, fields: dict[str, Any], failure: BaseException | None = None
    ) -> None:
        if level < self.level:
            return
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event = {"event": "request", "level": _NAMES[level], "timestamp": now, **fields}
        if failure is not None:
            event["exception"] = "".join(traceback.format_exception(failure))
        if self.json:
            line = orjson.dumps(event, default=str).decode()
        else:
            line = str(self._renderer(None, "request", event))
        self._out.write(line + "\n")
        self._out.flush()


_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
}

_writer = RequestWriter(logging.INFO, "json", _Stdout(), structlog.processors.JSONRenderer())  # type: ignore[arg-type]


def request_writer() -> RequestWriter:
    """What the request lines are written with (as ``configure`` last set it)."""
    return _writer
