"""Request ids: every request has one — a sane incoming `X-Request-ID` (set by a proxy in front) or a new one —,
returned in the `X-Request-ID` response header, carried by every log record written while it runs
(`record.request_id`, "-" outside a request), and shown on the French 500 page and in the API's 500 body, so that
a user's « référence » leads to the one log entry with the stack.

Logs (`LOG_FORMAT`): plain text by default, one JSON object per line with `LOG_FORMAT=json` (timestamp, level,
logger, message, request_id, and the stack of an error)."""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
# What a proxy may hand us: letters, digits and a few separators, at most 128 characters (anything else — spaces,
# newlines that would forge log lines, a huge value — is replaced by our own id).
SANE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
NO_REQUEST = "-"
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
log = logging.getLogger(__name__)


def new_id() -> str:
    return uuid.uuid4().hex


def current() -> str | None:
    """This request's id (drawn at its start), None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if SANE.match(incoming) else new_id()
    return g.request_id


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "clea_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            record.request_id = current() or NO_REQUEST
        except Exception:  # noqa: BLE001 - a log line must never fail (e.g. while the app context is torn down)
            record.request_id = NO_REQUEST
        return record

    factory.clea_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class _DropSafeTraces(logging.Filter):
    """FAB's `@safe` writes the stack of every exception of an API endpoint, refusals (404, 409, 422…) and
    database outages (503) included: dropped here; a real server error is logged once, by `log_server_error`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.funcName == "wraps")


# PostgreSQL's error details quote the row or the key that failed (« Failing row contains (…, Dupont, Jean,
# 1970-01-31…) »): never written in a log (donnees-personnelles.md §7). The values bound to a statement are hidden
# by SQLAlchemy itself (hide_parameters, config.py).
PG_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


def sans_valeurs(text: str) -> str:
    return PG_DETAIL.sub(r"\1 (valeurs masquées)", text)


class _SansValeurs:
    def formatException(self, ei) -> str:
        return sans_valeurs(super().formatException(ei))  # type: ignore[misc]


class TextFormatter(_SansValeurs, logging.Formatter):
    pass


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        class SansValeursJson(_SansValeurs, JsonFormatter):
            pass

        return SansValeursJson(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "stack"},
            timestamp=True,  # ISO 8601, UTC
            json_ensure_ascii=False,
        )
    return TextFormatter(TEXT_FORMAT)


def configure_logging(app: Flask, stream=None, force: bool = False) -> logging.Handler | None:
    """One handler on the root logger, in the format of `LOG_FORMAT`, unless the process already configured its
    logging (a test runner, gunicorn's --log-config): then only the request id is added to the records. Flask's own
    handler is removed from `app.logger`, so that an error is written once."""
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(str(app.config.get("LOG_FORMAT") or "text").lower()))
    root.addHandler(handler)
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    return handler


def log_server_error(error: BaseException | None) -> str | None:
    """Write a real server error once, with its stack and this request's id; returns the id."""
    request_id = current()
    log.error(
        "Erreur interne sur %s %s",
        request.method if has_request_context() else "-",
        request.path if has_request_context() else "-",
        exc_info=(type(error), error, error.__traceback__) if error is not None else True,
    )
    return request_id


def install(app: Flask) -> None:
    _install_record_factory()
    logging.getLogger("flask_appbuilder.api").addFilter(_DropSafeTraces())
    configure_logging(app)

    @app.before_request
    def draw_request_id():
        current()

    @app.after_request
    def request_id_header(response):
        request_id = current()
        if request_id:
            response.headers[HEADER] = request_id
        return response
