"""Background jobs on Huey (the task-queue wiring).

`init_app(app)` builds the app's Huey instance, kept in `app.extensions["huey"]`:

- **Production: Redis.** With `REDIS_URL` set, jobs go to a RedisHuey queue and a separate consumer
  process runs them: `flask --app wsgi thidua worker` (keep it running under systemd, like the web server;
  `--workers N` runs N jobs at once). The web processes only enqueue.
- **Development and small installs: an SQLite file.** Without Redis the queue is an SqliteHuey file
  (`TASK_QUEUE_FILE`, under the instance folder) and, because `TASK_QUEUE_EMBEDDED` defaults to true, a
  consumer thread inside the web process is started on the first enqueue: `bash scripts/dev.sh run` needs no
  extra server. `flask thidua worker` also consumes the SQLite queue (set `TASK_QUEUE_EMBEDDED=0` then).

A task's only argument is a row id (e.g. a PrintJob's): the row says everything, so a job enqueued by one
process can be run by any other, and the task runs inside `app.app_context()` of the consuming process.
Tasks must commit their own work and record failures on their row; Huey keeps no results.

**Periodic tasks** (`PERIODIC`): the daily run of reminders, the notification purge and the digest at 07:00
local time (`TIMEZONE`). Huey's scheduler enqueues them, so they need a consumer with its scheduler:
`flask thidua worker` has one; the embedded consumer starts its scheduler thread too (which also moves
retried and delayed tasks back to the queue) and enables periodic tasks unless `TASK_QUEUE_PERIODIC` is
false (by default: everywhere but under tests). The embedded consumer starts on a web process's first
enqueue and every web process has its own, so there the daily run is best effort and may run more than
once: it is idempotent (each reminder and digest is logged once per person and day). For a run that
never misses, use a cron job or systemd timer calling `flask thidua reminders` (also idempotent).
"""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from .config import Config

log = logging.getLogger(__name__)

# Task name → "module:function" run with the task's arguments inside an app context. Imported when the
# task runs, so this module (below every domain) never imports a domain at import time.
TASKS = {
    "print_job": "thidua.certificates.batch:run_print_job",
}
# Periodic task name → ("module:function", hour, minute): run every day at that local time (TIMEZONE).
PERIODIC = {
    "daily_run": ("thidua.notifications.reminders:run_scheduled", 7, 0),
}
# Sweep task name → ("module:function", minutes): run every that many minutes by the consumers' scheduler, and
# enqueued once when `flask thidua worker` starts. The print-job sweep marks failed the batches left "running"
# by a consumer that died (thidua.certificates.batch.sweep_stale_jobs; it also runs before each batch, which
# covers the embedded consumer, started by a batch being enqueued).
SWEEPS = {
    "sweep_print_jobs": ("thidua.certificates.batch:sweep_stale_jobs", 5),
}
# How often (at most) the embedded consumer polls an idle SQLite queue, in seconds: a job waits at most this
# long before it starts. Redis blocks on the queue instead of polling.
EMBEDDED_MAX_DELAY = 0.5


def queue_file(app: Flask) -> Path:
    """The SQLite queue file. A relative TASK_QUEUE_FILE is under INSTANCE_PATH, and the default one follows
    an app given another instance folder (tests, benches), so two apps never share a queue by accident."""
    path = Path(app.config["TASK_QUEUE_FILE"])
    instance = Path(app.config["INSTANCE_PATH"])
    if not path.is_absolute():
        path = instance / path
    elif path == Config.TASK_QUEUE_FILE and instance != Config.INSTANCE_PATH:
        path = instance / path.name
    return path


def make_huey(app: Flask) -> tuple[Huey, dict]:
    """A Huey instance for the app's configuration and its tasks (name → task wrapper), registered once."""
    name = app.config.get("TASK_QUEUE_NAME") or "thidua"  # a unique name isolates a test's Redis queue
    if app.config.get("REDIS_URL"):
        huey = RedisHuey(name, url=app.config["REDIS_URL"], results=False, utc=True)
    else:
        path = queue_file(app)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=str(path), results=False, utc=True)
    tasks = {name: huey.task(name=name)(_runner(app, target)) for name, target in TASKS.items()}
    zone = ZoneInfo(app.config["TIMEZONE"])
    for name, (target, hour, minute) in PERIODIC.items():
        tasks[name] = huey.periodic_task(daily_at(hour, minute, zone), name=name)(_runner(app, target))
    for name, (target, minutes) in SWEEPS.items():
        tasks[name] = huey.periodic_task(every_minutes(minutes), name=name)(_runner(app, target))
    return huey, tasks


def daily_at(hour: int, minute: int, zone: ZoneInfo):
    """A Huey schedule: true in the minute hour:minute local time. Huey (utc=True) passes naive UTC times,
    and a crontab would read them as local ones."""

    def due(timestamp: datetime) -> bool:
        local = timestamp.replace(tzinfo=UTC).astimezone(zone)
        return (local.hour, local.minute) == (hour, minute)

    return due


def every_minutes(minutes: int):
    """A Huey schedule: true every `minutes` minutes, two minutes past the round ones (…:02, …:07 for 5): off
    the hour, when the daily run and cron jobs start."""

    def due(timestamp: datetime) -> bool:
        return timestamp.minute % minutes == 2 % minutes

    return due


def _runner(app: Flask, target: str):
    module_name, function_name = target.split(":")

    def run(*args):
        with app.app_context():
            function = getattr(importlib.import_module(module_name), function_name)
            return function(*args)

    run.__name__ = function_name
    return run


def init_app(app: Flask) -> None:
    app.extensions["huey"], app.extensions["huey_tasks"] = make_huey(app)
    app.extensions["huey_consumer"] = None


def huey_of(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions["huey"]


def enqueue(task_name: str, *args) -> None:
    """Put a task on the app's queue (after the commit that wrote the rows it reads)."""
    app = current_app._get_current_object()
    if app.config.get("TASK_QUEUE_EMBEDDED"):
        ensure_embedded_consumer(app)
    app.extensions["huey_tasks"][task_name](*args)


def enqueue_print_job(job_id: int) -> None:
    enqueue("print_job", job_id)


_consumer_lock = threading.Lock()


def periodic_enabled(app: Flask) -> bool:
    """Does this app's embedded consumer enqueue periodic tasks? `TASK_QUEUE_PERIODIC`, by default on
    except under tests (a test's queue must not start the daily run on the test database)."""
    return bool(app.config.get("TASK_QUEUE_PERIODIC", not app.testing))


def _threads(consumer) -> list[threading.Thread]:
    return [t for _, t in consumer.worker_threads] + [consumer.scheduler]


def ensure_embedded_consumer(app: Flask) -> None:
    """Start, once per process and Huey instance, one consumer thread and its scheduler thread inside this
    process (the scheduler enqueues delayed retries and, see `periodic_enabled`, the periodic tasks).

    Huey's `Consumer.start()` also installs signal handlers, which only the main thread may do (a web
    request is not on it), so only its threads are started; they are daemon threads and die with the
    process (an interrupted job stays "running" and the user prints again)."""
    with _consumer_lock:
        consumer = app.extensions.get("huey_consumer")
        if consumer is not None and all(t.is_alive() for t in _threads(consumer)):
            return
        consumer = huey_of(app).create_consumer(workers=1, periodic=periodic_enabled(app), worker_type="thread",
                                                max_delay=EMBEDDED_MAX_DELAY, check_worker_health=False)
        for _, thread in consumer.worker_threads:
            thread.name = "thidua-jobs"
            thread.start()
        consumer.scheduler.name = "thidua-jobs-scheduler"
        consumer.scheduler.start()
        app.extensions["huey_consumer"] = consumer
        log.info("embedded task consumer started (queue %s)", huey_of(app).name)


def stop_embedded_consumer(app: Flask, timeout: float = 30) -> None:
    """Stop the embedded consumer thread after its current task (tests, benches)."""
    consumer = app.extensions.get("huey_consumer")
    if consumer is None:
        return
    consumer.stop_flag.set()
    for thread in _threads(consumer):
        thread.join(timeout)
    app.extensions["huey_consumer"] = None


def queue_description(app: Flask) -> str:
    """Where the queue lives, without credentials: "Redis 127.0.0.1:6379/0" or the SQLite file."""
    if app.config.get("REDIS_URL"):
        from urllib.parse import urlsplit

        url = urlsplit(app.config["REDIS_URL"])
        return f"Redis {url.hostname}:{url.port or 6379}{url.path or ''}"
    return f"SQLite {queue_file(app)}"


def run_consumer(app: Flask, *, workers: int = 1) -> None:
    """Run a consumer in the foreground until SIGINT/SIGTERM (`flask thidua worker`), with its scheduler:
    delayed retries and the periodic tasks (the daily run at 07:00 local time, the sweeps). The sweeps are
    enqueued once first: the jobs a consumer was running when it died are marked failed as it comes back."""
    consumer = huey_of(app).create_consumer(workers=workers, periodic=True, worker_type="thread")
    for name in SWEEPS:
        app.extensions["huey_tasks"][name]()
    consumer.run()
