"""PostgreSQL that does not answer must not hang a request (issue 12): connections, statements and every wait for
the server are bounded, and the answer is then the French 503 (app/web.py).

- connecting: DB_CONNECT_TIMEOUT seconds (libpq's connect_timeout), and as long for a connection of the pool;
- a statement: DB_STATEMENT_TIMEOUT seconds on the server (statement_timeout: a slow query is cut there);
- a server that stops answering altogether (black-holed, frozen): no byte for DB_STATEMENT_TIMEOUT + 2 seconds while
  a statement waits ends the wait on our side — psycopg2's wait callback (its documented hook for asynchronous
  waits) polls the socket with that limit and reports « could not receive data from server », which SQLAlchemy
  takes for a lost connection (the pool drops it and recovers by itself once the server is back).
DB_STATEMENT_TIMEOUT=0 lifts both limits (e.g. `flask db upgrade` on a huge table).
"""

from __future__ import annotations

import select
from functools import partial

LIMIT_MARGIN = 2  # seconds beyond statement_timeout before the server is taken for gone


def _wait(connection, timeout: float) -> None:
    import psycopg2
    from psycopg2 import extensions

    while True:
        state = connection.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            ready, _, _ = select.select([connection.fileno()], [], [], timeout)
            if not ready:
                raise psycopg2.OperationalError(f"could not receive data from server: no answer in {timeout:.0f} s")
        elif state == extensions.POLL_WRITE:
            _, ready, _ = select.select([], [connection.fileno()], [], timeout)
            if not ready:
                raise psycopg2.OperationalError(f"could not send data to server: no answer in {timeout:.0f} s")
        else:
            raise psycopg2.OperationalError(f"unexpected state from poll(): {state}")


def install_timeouts(app) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from psycopg2 import extensions

    statement = app.config["DB_STATEMENT_TIMEOUT"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", app.config["DB_CONNECT_TIMEOUT"])
    connect_args.setdefault("keepalives", 1)
    connect_args.setdefault("keepalives_idle", 5)
    connect_args.setdefault("keepalives_interval", 2)
    connect_args.setdefault("keepalives_count", 2)
    if statement:
        connect_args.setdefault("options", f"-c statement_timeout={statement * 1000}")
    options["connect_args"] = connect_args
    options.setdefault("pool_timeout", app.config["DB_CONNECT_TIMEOUT"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # One callback for the process (psycopg2's hook is global): the last application's limit wins.
    extensions.set_wait_callback(partial(_wait, timeout=statement + LIMIT_MARGIN) if statement else None)
