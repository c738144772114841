"""What the benchmark scripts share: counting SQL statements, timing a whole process,
and generated playbooks of any size."""

from __future__ import annotations

import resource
import subprocess
import time

from sqlalchemy import event

HOUSEKEEPING = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """``with StatementCounter(engine) as c: …; c.count`` — SQL statements of the feature
    (transaction and pragma housekeeping left out)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0

    def _hit(self, *args) -> None:
        if not args[2].lstrip().upper().startswith(HOUSEKEEPING):
            self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._hit)


def timed_process(argv: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one whole process; a failing command stops the benchmark."""
    return process_times(argv, env)[0]


def process_times(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one whole process. On a loaded
    machine the CPU time moves much less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


class Frames:
    """When ``app`` renders a frame (headless, rendering the screen's update is the paint:
    nothing is written out). ``last()``: wall and CPU seconds from ``start()`` to the last
    frame rendered since, or to the last ``done()`` (work that painted nothing new) if
    that came later."""

    def __init__(self, app) -> None:
        self.began = (0.0, 0.0)
        self.frame = (0.0, 0.0)
        display = app._display

        def rendered(screen, update) -> None:
            display(screen, update)
            self.done()

        app._display = rendered

    def start(self) -> None:
        self.began = self.frame = (time.perf_counter(), time.process_time())

    def done(self) -> None:
        self.frame = (time.perf_counter(), time.process_time())

    def last(self) -> tuple[float, float]:
        return self.frame[0] - self.began[0], self.frame[1] - self.began[1]

    def now(self) -> float:
        return time.perf_counter() - self.began[0]
