"""Real Celery worker and beat processes for tests where the process boundary is the point.

Most tests run tasks eagerly (see ``tests/conftest.py``). Reliability tests cannot: they need
a worker that reads from a real broker, writes to the test database from another process and
can be killed with SIGKILL half-way through a task. ``celery_processes()`` gives them one::

    @pytest.mark.celery_worker
    def test_something(transactional_db, tmp_path):
        with celery_processes(tmp_path=tmp_path) as celery:
            celery.send("mpoffice.tasks.heartbeat")
            wait_for(lambda: Heartbeat.objects.exists(), what="a heartbeat")
            celery.kill_worker()  # SIGKILL, as the kernel's OOM killer would
            celery.start_worker()

Each use gets its own queue name (and, without Redis, its own broker folder), so parallel test
runs sharing one Redis never consume each other's messages. The processes are told to use the
test database, so tests that use them need ``transactional_db``: a worker cannot see rows
inside the test's uncommitted transaction.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue

from mpoffice.celery import app as celery_app

PROJECT_DIR = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_for(condition: Callable[[], object], *, what: str, timeout: float = 60, interval: float = 0.2):
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` otherwise.

    The default allows for a 2-core CI machine also running the other half of the suite and a
    browser: a process start can take tens of seconds there. Correctness is asserted elsewhere.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


def worker_database_url() -> str:
    """A DATABASE_URL for the database this test is using (the test database, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError(
                "A worker process cannot open an in-memory SQLite test database; tests/conftest.py makes it a file."
            )
        return f"sqlite:///{name}"
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@dataclass
class CeleryProcesses:
    """Handles on the running processes, and a way to publish to the queue they consume."""

    env: dict[str, str]
    queue: str
    log_dir: Path
    transport_options: dict
    worker: subprocess.Popen | None = None
    beat: subprocess.Popen | None = None
    broker_url: str | None = None  # None: the project's broker (settings)
    extra: list[subprocess.Popen] = field(default_factory=list)  # a second beat, ...
    _logs: list[IO] = field(default_factory=list)
    _worker_starts: int = 0

    # -- processes -----------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("ab")
        self._logs.append(log)
        # A session of its own, so that stopping it also stops its pool children.
        return subprocess.Popen(
            args, cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_worker(self, *, concurrency: int = 1, wait: bool = True, timeout: float = 60) -> subprocess.Popen:
        assert self.worker is None or self.worker.poll() is not None, "a worker is already running"
        self._worker_starts += 1
        log_name = f"worker-{self._worker_starts}"
        self.worker = self._spawn(
            log_name,
            [
                CELERY,
                "-A",
                "mpoffice",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                f"--queues={self.queue}",
                f"--hostname=test-{self.queue}-{self._worker_starts}@%h",
                # Other test runs' workers are not our business, and these save seconds at start.
                "--without-mingle",
                "--without-gossip",
            ],
        )
        if wait:
            self.wait_until_ready(timeout=timeout)
        return self.worker

    def wait_until_ready(self, *, timeout: float = 60) -> None:
        """Wait for the last worker started (e.g. with ``wait=False``, to overlap its start-up)."""
        log_name = f"worker-{self._worker_starts}"
        wait_for(
            lambda: self._worker_ready(log_name),
            what=f"the Celery worker to be ready (log: {self.log_dir / log_name}.log)",
            timeout=timeout,
        )

    @property
    def worker_starts(self) -> int:
        return self._worker_starts

    def _worker_ready(self, log_name: str) -> bool:
        if self.worker.poll() is not None:
            raise AssertionError(f"The Celery worker exited with {self.worker.returncode}:\n{self.log(log_name)}")
        return " ready." in self.log(log_name)

    def start_beat(self, name: str = "beat") -> subprocess.Popen:
        """Start beat; a second one with another ``name`` (two beats running by mistake)."""
        if name == "beat":
            assert self.beat is None or self.beat.poll() is not None, "beat is already running"
        schedule_dir = self.log_dir / name
        schedule_dir.mkdir(exist_ok=True)
        process = self._spawn(
            name,
            [
                CELERY,
                "-A",
                "mpoffice",
                "beat",
                "--loglevel=INFO",
                "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
                f"--pidfile={schedule_dir / 'beat.pid'}",
                "--max-interval=1",
            ],
        )
        if name == "beat":
            self.beat = process
        else:
            self.extra.append(process)
        return process

    def kill_worker(self, sig: int = signal.SIGKILL) -> None:
        """Kill the worker and its pool children at once (SIGKILL: no chance to ack or clean up)."""
        _stop(self.worker, sig)

    def kill_beat(self, sig: int = signal.SIGKILL) -> None:
        _stop(self.beat, sig)

    def log(self, name: str = "worker-1") -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        for process in (self.worker, self.beat, *self.extra):
            # SIGKILL to the whole process group: a graceful shutdown spends seconds in Celery's
            # timers, and tests about the queue's state send SIGKILL themselves anyway.
            _stop(process, signal.SIGKILL)
        for log in self._logs:
            log.close()

    # -- publishing ----------------------------------------------------------------------
    @contextmanager
    def connection(self):
        """A broker connection of the test process to the same broker and folder as the workers."""
        with celery_app.connection_for_write(url=self.broker_url, transport_options=self.transport_options) as conn:
            # Declared here too, so that a message sent before the worker starts is kept.
            Queue(self.queue, Exchange(self.queue), routing_key=self.queue)(conn.default_channel).declare()
            yield conn

    @contextmanager
    def app_publishes_here(self):
        """Queue for real, to these processes: while inside, everything in the test process that
        publishes with the project's app (``.delay()`` in a view the live server runs, an
        ``on_commit`` nudge) goes to this queue on this broker instead of running eagerly."""
        conf = celery_app.conf
        keys = ("task_always_eager", "task_default_queue", "broker_url", "broker_transport_options")
        saved = {key: conf[key] for key in keys}
        conf.task_always_eager = False
        conf.task_default_queue = self.queue
        if self.broker_url:
            conf.broker_url = self.broker_url
        conf.broker_transport_options = {**(saved["broker_transport_options"] or {}), **self.transport_options}
        _forget_broker_pools()
        try:
            yield
        finally:
            conf.update(saved)
            _forget_broker_pools()

    def drop_messages(self) -> int:
        """Drop every message waiting in this test's queue, as a publish lost on the way (or a
        broker restarted without saving) would: what happens next is up to the sweeps."""
        with self.connection() as conn:
            return conn.default_channel.queue_purge(self.queue) or 0

    def send(self, task_name: str, *, args: tuple = (), kwargs: dict | None = None, **options) -> str:
        with self.connection() as conn:
            result = celery_app.send_task(
                task_name, args=args, kwargs=kwargs or {}, queue=self.queue, connection=conn, **options
            )
        return result.id


def _forget_broker_pools() -> None:
    """The app's connection and producer pools keep the broker settings they were made with;
    drop them so that the next publish makes them from the settings as they are now. (What
    Celery does after a fork; ``app.close()`` would also unregister the app and its tasks.)"""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _stop(process: subprocess.Popen | None, sig: int, *, grace: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def celery_processes(
    *,
    tmp_path: Path,
    worker: bool = True,
    beat: bool = False,
    concurrency: int = 1,
    extra_env: dict | None = None,
    redis_url: str | None = None,
) -> Iterator[CeleryProcesses]:
    """Start a worker (and optionally beat) on the test database; stop them on the way out.

    With REDIS_URL set (CI) they use Redis; otherwise Kombu's filesystem broker in ``tmp_path``.
    ``redis_url`` points them (and ``send``) at another Redis, e.g. one the test restarts.
    """
    log_dir = tmp_path / "celery"
    log_dir.mkdir(parents=True, exist_ok=True)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mpoffice.settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
        # The worker must not be told about the test database name suffixing of pytest-django.
        "DATABASE_TEST_NAME": "",
    }
    if redis_url or settings.REDIS_URL:
        env["REDIS_URL"] = redis_url or settings.REDIS_URL
        transport_options: dict = {}
    else:
        env.pop("REDIS_URL", None)
        broker_dir = tmp_path / "broker"
        env["CELERY_BROKER_DIR"] = str(broker_dir)
        transport_options = {
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
        }
        for folder in ("queue", "processed", "control"):
            (broker_dir / folder).mkdir(parents=True, exist_ok=True)
    env.update(extra_env or {})

    processes = CeleryProcesses(
        env=env, queue=queue, log_dir=log_dir, transport_options=transport_options, broker_url=redis_url
    )
    try:
        if worker:
            processes.start_worker(concurrency=concurrency)
        if beat:
            processes.start_beat()
        yield processes
    finally:
        processes.close()
