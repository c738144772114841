"""What the benchmark scripts share: counting SQL statements, timing a whole process,
and generated playbooks of any size."""

from __future__ import annotations

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
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return elapsed
