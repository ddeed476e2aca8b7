"""A runner that starts its sandboxes only when there is code to run.

``grader grade`` with nothing new to grade must answer in about a second: starting the
warm sandboxes (bubblewrap, a zygote importing torch per worker) takes seconds. A
``DeferredRunner`` holds how to make the real runner and makes it on first need:
``start_in_background`` begins the start-up in a thread, so the pool comes up while the
grader computes the keys; ``wait_until_started`` blocks until it is up and raises the
start-up's failure (an ``InfrastructureError`` that says what to install or change) in the
caller's thread, before any student is graded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from grader.errors import InfrastructureError

if TYPE_CHECKING:  # grader.sandbox imports torch: not before there is code to run
    from grader.sandbox import CaseOutcome, CodeJob, Runner

__all__ = ["DeferredRunner"]

log = logging.getLogger(__name__)


class DeferredRunner:
    """A ``Runner`` whose real runner is made by ``factory`` on first need, at most once."""

    def __init__(self, factory: Callable[[], Runner], *, sandboxed: bool = True) -> None:
        self._factory = factory
        self.sandboxed = sandboxed
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._runner: Runner | None = None
        self._failure: BaseException | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        """Whether the real runner was asked to start (its start-up may still be going on)."""
        with self._lock:
            return self._thread is not None

    def start_in_background(self) -> None:
        """Begin starting the real runner in a thread; a second call does nothing."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this runner is closed")
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._start, name="sandbox-pool-start", daemon=True
            )
            self._thread.start()

    def _start(self) -> None:
        log.info("starting the sandbox pool")
        try:
            runner = self._factory()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting thread
            self._failure = exc
            return
        with self._lock:
            self._runner = runner  # ``close`` waits for this thread, then closes it

    def wait_until_started(self) -> Runner:
        """The real runner, started now if nobody began it; raises the start-up's failure."""
        self.start_in_background()
        assert self._thread is not None
        self._thread.join()
        if self._failure is not None:
            if isinstance(self._failure, InfrastructureError):
                raise self._failure
            raise InfrastructureError(
                f"the sandbox pool could not start ({type(self._failure).__name__}: "
                f"{self._failure}); `grader doctor` shows what this machine offers"
            ) from self._failure
        assert self._runner is not None
        return self._runner

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        """Run ``job`` on the real runner (started first if need be); see ``Runner.run``."""
        return self.wait_until_started().run(job)

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        """Run one student's jobs on the real runner; see ``Runner.run_batch``."""
        return self.wait_until_started().run_batch(jobs)

    def close(self) -> None:
        """Stop the real runner if it started; waits for a start-up under way to finish."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.close()
