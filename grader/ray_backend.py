"""Grading on a Ray cluster: warm grading actors, one batch per submission.

The driver splits each student's plan into work units (``split_work``): ONE unit with every
question that runs on a CPU (non-code questions included), graded as one batch in one
sandbox runner exactly as in local mode, and, when the cluster has GPUs, one unit per
``cuda`` question for a GPU actor. On a cluster without GPUs the ``cuda`` questions stay in
the CPU unit, where they come back ``unchecked`` ("needs a CUDA GPU"), as in local mode.

Units go to ``GradingActor``s (``grader.ray_actors``), each owning a warm sandbox pool of
one worker kept between submissions. CPU actors ask for ``cpus_per_actor`` CPUs each (by
default 1, so a node holds as many as it has CPUs); GPU actors ask for one GPU and no CPU.
The driver keeps at most ``DEPTH`` units queued on each actor (dispatch by ``ray.wait``).

An actor that dies (its node lost, its process killed) fails the units it held; the driver
resubmits them to another actor (at most ``max_retries`` times per unit) and starts a
replacement, which waits for room if there is none. Each student's result is assembled on
the driver and handed to ``on_result`` once, when all its units are in, so the gradebook
gets one transaction per student, as in local mode: nothing is lost or written twice.
Results cross Ray as JSON (``SubmissionResult.model_validate_json``), never as a pickle of
anything student code touched; the driver sends typed values (``Submission``,
``GradingOptions``).

Every node must see the exam, its banks and ``reference_impls`` at the same paths as the
driver, and have bubblewrap (see the README's "Ray" section).
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.classroom import OnResult, Plan
from grader.errors import InfrastructureError
from grader.grading_options import GradingOptions
from grader.loading import LoadedExam
from grader.ray_actors import KILL_ONCE_ENV, GradingActor
from grader.results import QuestionResult, SubmissionResult
from grader.schema import CodeQuestion, MultipartQuestion

__all__ = ["DEPTH", "KILL_ONCE_ENV", "RayBackend", "WorkUnit", "needs_gpu", "split_work"]

DEPTH = 2
"""Units queued on one actor at a time: the next is there when the current one ends."""


def needs_gpu(question: Any) -> bool:
    """Whether ``question`` (or one of its parts) is a ``cuda`` code question."""
    parts = question.parts if isinstance(question, MultipartQuestion) else [question]
    return any(isinstance(p, CodeQuestion) and p.device == "cuda" for p in parts)


@dataclass(frozen=True)
class WorkUnit:
    """Questions of one student's plan graded together, in one batch, on one actor."""

    plan: int
    """Index of the plan in the run."""
    questions: tuple[str, ...]
    """Question ids, in exam order."""
    gpu: bool
    """For a GPU actor (one ``cuda`` question)."""


def split_work(exam: LoadedExam, index: int, plan: Plan, *, gpus: bool) -> list[WorkUnit]:
    """The units of one plan: its CPU questions together, and when the cluster has ``gpus``,
    each ``cuda`` question on its own."""
    wanted = [q for q in exam.ordered_ids() if plan.only is None or q in plan.only]
    on_gpu = [q for q in wanted if gpus and needs_gpu(exam.questions[q])]
    on_cpu = tuple(q for q in wanted if q not in on_gpu)
    units = [WorkUnit(index, on_cpu, gpu=False)] if on_cpu else []
    return units + [WorkUnit(index, (q,), gpu=True) for q in on_gpu]


def _capacity(ray: Any, resource: str, per_actor: float) -> int:
    """How many actors asking ``per_actor`` of ``resource`` the live nodes hold together."""
    return sum(
        int(node["Resources"].get(resource, 0) // per_actor)
        for node in ray.nodes()
        if node.get("Alive")
    )


@dataclass
class _Actors:
    """The actors of one kind (CPU or GPU): starting, warm, and the units each holds."""

    remote_class: Any
    """``GradingActor`` as a Ray actor class, with this kind's resources."""
    kwargs: dict[str, Any]
    """The actor's constructor arguments."""
    target: int
    spawn_budget: int
    starting: dict[Any, int] = field(default_factory=dict)  # started() ref -> slot
    handles: dict[int, Any] = field(default_factory=dict)
    load: dict[int, int] = field(default_factory=dict)  # warm slot -> units held
    nodes: dict[int, str] = field(default_factory=dict)
    ever_warm: bool = False
    start_error: str | None = None

    def fill(self, slots: itertools.count[int]) -> None:
        """Start actors until ``target`` are warm or starting (within the spawn budget)."""
        while len(self.handles) < self.target and self.spawn_budget > 0:
            slot = next(slots)
            self.spawn_budget -= 1
            self.handles[slot] = self.remote_class.remote(**self.kwargs)
            self.starting[self.handles[slot].started.remote()] = slot

    def free(self) -> int | None:
        """The warm actor holding the fewest units, if it can take one more."""
        slot = min(self.load, key=lambda s: self.load[s], default=None)
        return slot if slot is not None and self.load[slot] < DEPTH else None

    def drop(self, ray: Any, slot: int) -> None:
        """Forget an actor (dead, or failed to start) and make sure its process is gone."""
        handle = self.handles.pop(slot, None)
        self.load.pop(slot, None)
        self.nodes.pop(slot, None)
        if handle is not None:
            ray.kill(handle, no_restart=True)


_LOST = ("RayActorError", "ObjectLostError", "WorkerCrashedError", "NodeDiedError")
"""Ray's errors for work lost with its actor or node (resubmitted), by class name so that
the names of Ray versions without one of them do not matter."""


def _lost(exc: BaseException) -> bool:
    return any(c.__name__ in _LOST for c in type(exc).__mro__)


class RayBackend:
    """Warm grading actors on a Ray cluster; results assembled on the driver.

    ``cpus_per_actor``: CPUs each CPU actor asks for, so a node runs its CPUs divided by
    this many actors (2.0 = half as many); ``max_retries``: how often one student's work
    is resubmitted after losing its actor; ``placement_timeout_s``: how long to wait for an
    actor to be placed when no other work is running. Actors stay warm between ``run``
    calls until ``close``.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        no_sandbox: bool = False,
        max_retries: int = 3,
        cpus_per_actor: float = 1.0,
        placement_timeout_s: float = 600.0,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise InfrastructureError("the Ray backend needs Ray: pip install '.[ray]'") from None
        if cpus_per_actor <= 0:
            raise InfrastructureError(
                f"--ray-cpus-per-actor must be more than 0, not {cpus_per_actor!r}"
            )
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        self.max_retries = max_retries
        self.cpus_per_actor = cpus_per_actor
        self.placement_timeout_s = placement_timeout_s
        actor = ray.remote(max_restarts=0, max_task_retries=0)(GradingActor)
        self._kinds = {
            False: _Actors(
                actor.options(num_cpus=cpus_per_actor, num_gpus=0, scheduling_strategy="SPREAD"),
                {"no_sandbox": no_sandbox, "gpu": False},
                target=0,
                spawn_budget=0,
            ),
            True: _Actors(
                actor.options(num_cpus=0, num_gpus=1, scheduling_strategy="SPREAD"),
                {"no_sandbox": no_sandbox, "gpu": True},
                target=0,
                spawn_budget=0,
            ),
        }
        self._slots = itertools.count()
        self.resubmitted = 0
        """Units sent again after their actor was lost (over this backend's life)."""
        self.actors_lost = 0

    def warm(self, actors: int, timeout_s: float = 300.0) -> int:
        """Start CPU actors until ``actors`` are warm (or ``timeout_s`` passes, or no more
        can start); how many are warm. ``run`` starts them itself: this is for a caller
        that wants the pools' start-up out of the way (a benchmark, a warm-up)."""
        kind = self._kinds[False]
        kind.target = max(kind.target, actors)
        kind.spawn_budget += actors
        kind.fill(self._slots)
        while len(kind.load) < actors and kind.starting:
            ready, _ = self.ray.wait(list(kind.starting), num_returns=1, timeout=timeout_s)
            if not ready:
                break
            self._started(ready[0], gpu=False)
        return len(kind.load)

    def in_flight_nodes(self) -> set[str]:
        """Ray node ids of the actors now holding work (for tests that kill a node)."""
        return {
            kind.nodes[slot]
            for kind in self._kinds.values()
            for slot, held in kind.load.items()
            if held and slot in kind.nodes
        }

    def run(
        self, exam: LoadedExam, plans: Sequence[Plan], opts: GradingOptions, on_result: OnResult
    ) -> None:
        ray = self.ray
        gpus = _capacity(ray, "GPU", 1.0)
        units = [u for i, p in enumerate(plans) for u in split_work(exam, i, p, gpus=gpus > 0)]
        left = collections.Counter(u.plan for u in units)
        collected: dict[int, dict[str, QuestionResult]] = collections.defaultdict(dict)
        errors: dict[int, BaseException] = {}

        def deliver(i: int) -> None:
            plan = plans[i]
            if i in errors:
                on_result(plan, errors[i])
                return
            wanted = [q for q in exam.ordered_ids() if plan.only is None or q in plan.only]
            on_result(
                plan,
                SubmissionResult(
                    student=plan.submission.student,
                    exam=exam.exam.exam,
                    variant=plan.variant,
                    problems=plan.submission.problems,
                    questions=tuple(collected[i][q] for q in wanted),
                ),
            )

        for i in range(len(plans)):
            if left[i] == 0:  # nothing of it to grade here: an empty result, as locally
                deliver(i)
        queues: dict[bool, collections.deque[WorkUnit]] = {
            gpu: collections.deque(u for u in units if u.gpu == gpu) for gpu in (False, True)
        }
        wanted_actors = {
            False: min(len(queues[False]), _capacity(ray, "CPU", self.cpus_per_actor)),
            True: min(len(queues[True]), gpus),
        }
        for gpu, kind in self._kinds.items():
            kind.target = max(kind.target, wanted_actors[gpu])
            kind.spawn_budget += wanted_actors[gpu] * (self.max_retries + 1)
            kind.fill(self._slots)
        exam_path = str(exam.path.resolve())
        refs: dict[int, Any] = {}  # plan -> its Submission in the object store, when shared
        tries: collections.Counter[WorkUnit] = collections.Counter()
        in_flight: dict[Any, tuple[WorkUnit, bool, int]] = {}

        def finish(unit: WorkUnit, outcome: str | BaseException) -> None:
            if isinstance(outcome, BaseException):
                errors.setdefault(unit.plan, outcome)
            else:
                for q in SubmissionResult.model_validate_json(outcome).questions:
                    collected[unit.plan][q.question_id] = q
            left[unit.plan] -= 1
            if left[unit.plan] == 0:
                deliver(unit.plan)

        def dispatch() -> None:
            for gpu, kind in self._kinds.items():
                queue = queues[gpu]
                while queue and (slot := kind.free()) is not None:
                    unit = queue.popleft()
                    plan = plans[unit.plan]
                    submission: Any = plan.submission
                    if left[unit.plan] > 1:  # sent to several actors: put in the store once
                        if unit.plan not in refs:
                            refs[unit.plan] = ray.put(plan.submission)
                        submission = refs[unit.plan]
                    ref = kind.handles[slot].grade.remote(
                        exam_path, submission, plan.variant, opts, list(unit.questions)
                    )
                    kind.load[slot] += 1
                    in_flight[ref] = (unit, gpu, slot)

        def no_actor(gpu: bool, why: str) -> None:
            """Nothing can take this kind's queued units: stop, or fail those students."""
            kind = self._kinds[gpu]
            if not kind.ever_warm and kind.start_error is not None:
                raise InfrastructureError(
                    f"no Ray {'GPU' if gpu else 'CPU'} actor could start its sandbox: "
                    f"{kind.start_error}"
                )
            while queues[gpu]:
                finish(queues[gpu].popleft(), InfrastructureError(why))

        while any(queues.values()) or in_flight:
            dispatch()
            starting = {ref: gpu for gpu, k in self._kinds.items() for ref in k.starting}
            for gpu in (False, True):
                kind = self._kinds[gpu]
                if queues[gpu] and not kind.load and not kind.starting:
                    no_actor(gpu, "no Ray actor left to grade this submission (actors lost)")
            waiting = list(in_flight) + list(starting)
            if not waiting:
                continue
            ready, _ = ray.wait(
                waiting,
                num_returns=1,
                timeout=None if in_flight else self.placement_timeout_s,
            )
            if not ready:
                for gpu in (False, True):
                    if queues[gpu]:
                        no_actor(
                            gpu,
                            f"no Ray node had room for a grading actor within "
                            f"{self.placement_timeout_s:.0f} s",
                        )
                continue
            [ref] = ready
            if ref in starting:
                self._started(ref, starting[ref])
                continue
            unit, gpu, slot = in_flight.pop(ref)
            kind = self._kinds[gpu]
            if slot in kind.load:
                kind.load[slot] -= 1
            try:
                outcome: str | BaseException = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - one student's failure never stops the class
                if not _lost(exc):
                    outcome = getattr(exc, "cause", None) or exc
                else:
                    if slot in kind.handles:
                        self.actors_lost += 1
                        kind.drop(ray, slot)
                        kind.fill(self._slots)
                    tries[unit] += 1
                    if tries[unit] <= self.max_retries:
                        self.resubmitted += 1
                        queues[gpu].appendleft(unit)
                        continue
                    outcome = InfrastructureError(
                        f"lost the Ray actor grading this submission {tries[unit]} times"
                    )
            finish(unit, outcome)

    def _started(self, ref: Any, gpu: bool) -> None:
        """An actor answered (or failed) its ``started`` call."""
        kind = self._kinds[gpu]
        slot = kind.starting.pop(ref)
        try:
            node_id, error = self.ray.get(ref)
        except Exception:  # noqa: BLE001 - its node died while it started: start another
            self.actors_lost += 1
            kind.drop(self.ray, slot)
            kind.fill(self._slots)
            return
        if error is not None:  # its sandbox cannot start: no replacement would do better
            kind.start_error = error
            kind.target = max(0, kind.target - 1)
            kind.drop(self.ray, slot)
            return
        kind.ever_warm = True
        kind.load[slot] = 0
        kind.nodes[slot] = node_id

    def close(self) -> None:
        """Stop every actor's sandbox pool and let the actors go."""
        ray = self.ray
        for kind in self._kinds.values():
            closing = [kind.handles[s].close.remote() for s in kind.load]
            if closing:
                ray.wait(closing, num_returns=len(closing), timeout=30)
            for slot in list(kind.handles):
                kind.drop(ray, slot)
            kind.starting.clear()
            kind.target = 0
