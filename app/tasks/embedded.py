"""The embedded runner: without a broker (`python run.py` on a fresh machine), the tasks of app/tasks run in this
process, in one background thread, never in the request; a second thread follows the periodic schedule that
`celery beat` runs in production. Same task code, same database guarantees; what a restart loses from the
in-memory queue is found again by the periodic sweeps (the outbox and the exports live in the database)."""

from __future__ import annotations

import datetime
import logging
import os
import queue
import threading
import time

log = logging.getLogger(__name__)

_queue: queue.Queue = queue.Queue()
_started_in: int | None = None  # the pid that started the threads (threads do not survive a fork)
_lock = threading.Lock()


def _worker(flask_app, run) -> None:
    while True:
        name, args = _queue.get()
        try:
            with flask_app.app_context():
                run(name, *args)
        except Exception:
            log.exception("Tâche de fond %s%r en échec", name, args)
        finally:
            _queue.task_done()


def _interval(entry) -> float | None:
    schedule = entry["schedule"]
    return float(schedule) if isinstance(schedule, (int, float)) else None


def _scheduler(schedule: dict) -> None:
    """Every entry of the schedule: intervals as given; the daily crontab once a day at its hour and minute."""
    last_run: dict[str, float] = {}
    daily_done: dict[str, datetime.date] = {}
    while True:
        now = time.monotonic()
        for key, entry in schedule.items():
            interval = _interval(entry)
            if interval is not None:
                if now - last_run.get(key, 0.0) >= interval:
                    last_run[key] = now
                    _queue.put((entry["task"], ()))
                continue
            cron = entry["schedule"]
            local = datetime.datetime.now()
            hour, minute = min(cron.hour), min(cron.minute)
            if (local.hour, local.minute) >= (hour, minute) and daily_done.get(key) != local.date():
                daily_done[key] = local.date()
                _queue.put((entry["task"], ()))
        time.sleep(1)


def start(flask_app, run, schedule: dict | None) -> None:
    """Start the background thread(s) of this process, once: `run(name, *args)` runs a task; `schedule` (None: no
    periodic work) is the table `celery beat` would follow."""
    global _started_in
    with _lock:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
        threading.Thread(target=_worker, args=(flask_app, run), name="clea-taches", daemon=True).start()
        if schedule:
            threading.Thread(target=_scheduler, args=(schedule,), name="clea-planificateur", daemon=True).start()


def submit(name: str, args: tuple) -> None:
    _queue.put((name, args))


def wait_idle(timeout: float = 30) -> bool:
    """Until the queue is empty and its last task done (tests, shutdown)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _queue.unfinished_tasks == 0:
            return True
        time.sleep(0.05)
    return False
