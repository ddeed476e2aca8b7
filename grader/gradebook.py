"""The gradebook: one SQLite file holding every result, written so that no crash loses or
duplicates anything.

Each submission is written in one transaction (its answers, their cases and the
submission row) keyed by (exam, student, question), so a run killed at any instant leaves
each student either fully graded or untouched; a rerun grades only what is missing or
changed. TA overrides live in their own table and are never touched by regrading.
Embeddings of free-text answers are cached by (model, sha256 of the normalised text), so a
regrade does not encode an answer again.
"""

from __future__ import annotations

import json
import platform
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from grader._version import __version__
from grader.errors import InfrastructureError
from grader.results import UNSETTLED, QuestionResult, SubmissionResult

__all__ = [
    "DecisionConflict",
    "Environment",
    "Gradebook",
    "Override",
    "Regrade",
    "StoredAnswer",
    "StoredHashes",
    "StoredSubmission",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exam TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    grader_version TEXT NOT NULL,
    python TEXT NOT NULL,
    torch TEXT NOT NULL,
    device TEXT NOT NULL,
    args TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    exam TEXT NOT NULL,
    student TEXT NOT NULL,
    folder TEXT NOT NULL,
    variant INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    problems TEXT NOT NULL,
    total REAL NOT NULL,
    graded_at REAL NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (exam, student)
);
CREATE TABLE IF NOT EXISTS answers (
    exam TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    marks REAL NOT NULL,
    max_marks REAL NOT NULL,
    status TEXT NOT NULL,
    feedback TEXT NOT NULL,
    needs_review INTEGER NOT NULL,
    answer_hash TEXT NOT NULL,
    question_hash TEXT NOT NULL,
    variant INTEGER NOT NULL,
    grader_version TEXT NOT NULL,
    python TEXT NOT NULL,
    torch TEXT NOT NULL,
    device TEXT NOT NULL,
    seconds REAL NOT NULL,
    graded_at REAL NOT NULL,
    run_id INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (exam, student, question_id)
);
CREATE TABLE IF NOT EXISTS cases (
    exam TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    visible INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (exam, student, question_id, idx)
);
CREATE TABLE IF NOT EXISTS overrides (
    exam TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    marks REAL NOT NULL,
    comment TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decided_at REAL NOT NULL,
    PRIMARY KEY (exam, student, question_id)
);
CREATE TABLE IF NOT EXISTS regrades (
    run_id INTEGER NOT NULL,
    exam TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    old_marks REAL NOT NULL,
    new_marks REAL NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    dim INTEGER NOT NULL,
    dtype TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_sha256)
);
"""
OVERRIDE_COLUMNS = {
    "points": "TEXT",  # JSON list of rubric point ids, or NULL for marks only
    "answer_hash": "TEXT NOT NULL DEFAULT ''",
    "scope": "TEXT NOT NULL DEFAULT 'answer'",
    "auto": "INTEGER NOT NULL DEFAULT 0",
}
"""Columns added to ``overrides`` after its first release: a gradebook made before them
gets them on open (``ALTER TABLE``), its decisions kept as they were."""
ANSWER_COLUMNS = {
    "settled": "INTEGER NOT NULL DEFAULT 1",  # 0: error or unchecked inside (graded again)
}
"""Columns added to ``answers`` after its first release (see ``OVERRIDE_COLUMNS``)."""


@dataclass(frozen=True)
class Environment:
    """Where results were computed: recorded with every answer for reproducibility."""

    grader_version: str
    python: str
    torch: str
    device: str

    @classmethod
    def current(cls) -> Environment:
        """This machine, torch and its device included (imports torch: seconds, once)."""
        import torch

        device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        return cls(__version__, platform.python_version(), str(torch.__version__), device)

    @classmethod
    def without_device(cls) -> Environment:
        """This machine for a run that graded nothing: torch's version from its installed
        metadata, no import of torch and no device probe (``device`` says so)."""
        import importlib.metadata

        try:
            version = importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        return cls(__version__, platform.python_version(), version, "not probed: nothing graded")


@dataclass(frozen=True)
class StoredAnswer:
    """One stored answer row, as the reports read it (override applied)."""

    student: str
    question_id: str
    marks: float
    graded_marks: float
    max_marks: float
    status: str
    needs_review: bool
    overridden: bool
    result: QuestionResult


@dataclass(frozen=True)
class Override:
    """A TA's decision on one answer (a question or an ``id/part``)."""

    student: str
    question_id: str
    marks: float
    comment: str
    reviewer: str
    points: tuple[str, ...] | None = None
    """The rubric points the TA ticked; None when the decision is marks only."""
    answer_hash: str = ""
    """The ``answer_hash`` of the answer decided on: when the student's answer changes, the
    decision no longer applies and the answer waits for review again. ``""``: any answer
    (decisions recorded before answers were tracked)."""
    scope: Literal["answer", "group"] = "answer"
    """``group``: decided for a whole answer group; ``answer``: for this answer alone (split
    off its group, or decided one by one)."""
    auto: bool = False
    """Given by the exam's ``text_review.accept_above`` from a confident suggestion, not by
    a TA."""
    decided_at: float = field(default=0.0, compare=False)
    """When it was recorded (seconds since the epoch); set by the gradebook, and the
    version a reviewer saw (``Gradebook.set_overrides``' ``expect``)."""

    def applies_to(self, answer_hash: str) -> bool:
        """Whether the decision holds for an answer whose hash is ``answer_hash``."""
        return not self.answer_hash or self.answer_hash == answer_hash


class DecisionConflict(Exception):
    """Another reviewer changed a decision since this one was shown (see
    ``Gradebook.set_overrides``)."""

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        self.keys = tuple(keys)
        names = ", ".join(f"{s} {q}" for s, q in self.keys[:5])
        more = f" and {len(self.keys) - 5} more" if len(self.keys) > 5 else ""
        super().__init__(
            f"another reviewer decided {names}{more} since you loaded them; reload to see "
            "their decision, then decide again"
        )


class StoredHashes(NamedTuple):
    """What a student's stored grades were computed from, to decide what a rerun grades."""

    content_hash: str
    """Hash of what the student handed in (``classroom.content_hash``)."""
    variant: int
    """The student's variant seed."""
    question_hashes: dict[str, str]
    """Question id -> content hash of the question as graded; ``""`` for an ``error``
    answer, so that it is graded again."""


class StoredSubmission(NamedTuple):
    """One graded submission: who, which variant, what was wrong with it, where it lies."""

    student: str
    variant: int
    problems: list[str]
    """Problems with the submission itself (shown on the feedback page)."""
    folder: str
    """The student's folder as graded."""


class Regrade(NamedTuple):
    """An answer whose marks a run changed."""

    student: str
    question_id: str
    old_marks: float
    new_marks: float


class Gradebook:
    """A SQLite gradebook file (WAL mode; one writer, many readers)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._add_columns("overrides", OVERRIDE_COLUMNS)
            self._add_columns("answers", ANSWER_COLUMNS)
        except sqlite3.DatabaseError as exc:
            raise InfrastructureError(
                f"cannot open the gradebook {str(self.path)!r}: {exc}; pass another file with --db"
            ) from None

    def close(self) -> None:
        self.db.close()

    def _add_columns(self, table: str, columns: Mapping[str, str]) -> None:
        have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
        for name, decl in columns.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            # SQLite has rolled back already after some errors (a full disk: SQLITE_FULL);
            # a second ROLLBACK would hide the error with "no transaction is active"
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # ----------------------------------------------------------------- runs
    def start_run(self, exam: str, env: Environment, args: dict[str, Any]) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (exam, started, grader_version, python, torch, device, args)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                exam,
                time.time(),
                env.grader_version,
                env.python,
                env.torch,
                env.device,
                json.dumps(args, sort_keys=True),
            ),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished = ? WHERE id = ?", (time.time(), run_id))

    # --------------------------------------------------------------- writes
    def record(
        self,
        result: SubmissionResult,
        *,
        folder: str,
        content_hash: str,
        run_id: int,
        env: Environment,
        replace_all: bool = True,
    ) -> None:
        """Write one submission's results atomically (replacing its earlier rows)."""
        now = time.time()
        with self._tx() as db:
            if replace_all:
                keep = [q.question_id for q in result.questions]
                db.execute(
                    "DELETE FROM answers WHERE exam=? AND student=?"
                    f" AND question_id NOT IN ({','.join('?' * len(keep))})",
                    (result.exam, result.student, *keep),
                )
            for q in result.questions:
                self._write_answer(db, result, q, run_id, env, now)
            total = db.execute(
                "SELECT COALESCE(SUM(marks), 0) FROM answers WHERE exam=? AND student=?",
                (result.exam, result.student),
            ).fetchone()[0]
            db.execute(
                "INSERT OR REPLACE INTO submissions (exam, student, folder, variant,"
                " content_hash, problems, total, graded_at, run_id) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    result.exam,
                    result.student,
                    folder,
                    result.variant,
                    content_hash,
                    json.dumps(list(result.problems)),
                    float(total),
                    now,
                    run_id,
                ),
            )

    def _write_answer(
        self,
        db: sqlite3.Connection,
        sub: SubmissionResult,
        q: QuestionResult,
        run_id: int,
        env: Environment,
        now: float,
    ) -> None:
        old = db.execute(
            "SELECT marks FROM answers WHERE exam=? AND student=? AND question_id=?",
            (sub.exam, sub.student, q.question_id),
        ).fetchone()
        if old is not None and abs(float(old[0]) - q.marks) > 1e-9:
            db.execute(
                "INSERT INTO regrades (run_id, exam, student, question_id, old_marks, new_marks,"
                " at) VALUES (?,?,?,?,?,?,?)",
                (run_id, sub.exam, sub.student, q.question_id, float(old[0]), q.marks, now),
            )
        db.execute(
            "INSERT OR REPLACE INTO answers (exam, student, question_id, marks, max_marks,"
            " status, feedback, needs_review, answer_hash, question_hash, variant,"
            " grader_version, python, torch, device, seconds, graded_at, run_id, result,"
            " settled) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                sub.exam,
                sub.student,
                q.question_id,
                q.marks,
                q.max_marks,
                q.status,
                q.feedback,
                int(q.needs_review),
                q.answer_hash,
                q.question_hash,
                sub.variant,
                env.grader_version,
                env.python,
                env.torch,
                env.device,
                q.seconds,
                now,
                run_id,
                q.model_dump_json(),
                int(not q.unsettled()),
            ),
        )
        db.execute(
            "DELETE FROM cases WHERE exam=? AND student=?"
            " AND (question_id=? OR question_id LIKE ?)",
            (sub.exam, sub.student, q.question_id, q.question_id + "/%"),
        )
        for part in (q, *q.parts):
            for i, c in enumerate(part.cases):
                db.execute(
                    "INSERT OR REPLACE INTO cases (exam, student, question_id, idx, name,"
                    " visible, passed, status, message, seconds) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        sub.exam,
                        sub.student,
                        part.question_id,
                        i,
                        c.name,
                        int(c.visible),
                        int(c.passed),
                        c.status,
                        c.message,
                        c.seconds,
                    ),
                )

    def set_override(self, exam: str, o: Override) -> None:
        """Record a TA decision; it wins over the graded marks in every report."""
        self.set_overrides(exam, [o])

    def set_overrides(
        self,
        exam: str,
        decisions: Sequence[Override],
        expect: Mapping[tuple[str, str], float | None] | None = None,
    ) -> None:
        """Record several decisions in one transaction (all or none).

        ``expect``: (student, question) -> the ``decided_at`` of the decision the reviewer
        saw, or None when they saw none. When any differs from what is stored now (another
        reviewer decided meanwhile), nothing is written and ``DecisionConflict`` is raised:
        two reviewers never overwrite each other's decision unseen.
        """
        now = time.time()
        with self._tx() as db:
            if expect:
                changed = [
                    key for key, seen in expect.items() if _decided_at(db, exam, key) != seen
                ]
                if changed:
                    raise DecisionConflict(changed)
            for o in decisions:
                db.execute(
                    "INSERT OR REPLACE INTO overrides (exam, student, question_id, marks,"
                    " comment, reviewer, decided_at, points, answer_hash, scope, auto)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        exam,
                        o.student,
                        o.question_id,
                        o.marks,
                        o.comment,
                        o.reviewer,
                        now,
                        None if o.points is None else json.dumps(list(o.points)),
                        o.answer_hash,
                        o.scope,
                        int(o.auto),
                    ),
                )

    def delete_overrides(self, exam: str, keys: Sequence[tuple[str, str]]) -> None:
        """Forget the decisions on (student, question) ``keys``: those answers wait for
        review again (or keep their graded marks)."""
        with self._tx() as db:
            db.executemany(
                "DELETE FROM overrides WHERE exam=? AND student=? AND question_id=?",
                [(exam, s, q) for s, q in keys],
            )

    def store_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Cache text embeddings of ``model`` by the sha256 of each normalised text, as raw
        float32 bytes (never pickled), in one transaction."""
        rows = [
            (model, key, int(v.shape[0]), "float32", np.asarray(v, "<f4").tobytes())
            for key, v in vectors.items()
        ]
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, text_sha256, dim, dtype, vector)"
                " VALUES (?,?,?,?,?)",
                rows,
            )

    # ---------------------------------------------------------------- reads
    def embeddings(self, model: str, keys: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """The cached embeddings of ``model`` for the text hashes ``keys`` (float32, shape
        (dim,)). A row of the wrong dtype, dimension or byte length is left out: a miss."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):  # SQLite's bound-parameter limit
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, row_dim, dtype, blob in self.db.execute(
                "SELECT text_sha256, dim, dtype, CAST(vector AS BLOB) FROM embeddings"
                f" WHERE model = ? AND text_sha256 IN ({marks})",
                (model, *chunk),
            ):
                if (
                    row_dim == dim
                    and dtype == "float32"
                    and isinstance(blob, bytes)
                    and len(blob) == 4 * dim
                ):
                    vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
                    if np.isfinite(vector).all():
                        found[key] = vector
        return found

    def stored_hashes(self, exam: str) -> dict[str, StoredHashes]:
        """student -> what their stored grades were computed from, for resumption. An
        answer the grader reached no verdict on (``error`` or ``unchecked``, in it or a part:
        ``QuestionResult.unsettled``) has no hash: it is graded again next run."""
        out: dict[str, StoredHashes] = {}
        for student, content, variant in self.db.execute(
            "SELECT student, content_hash, variant FROM submissions WHERE exam=?", (exam,)
        ):
            out[student] = StoredHashes(content, int(variant), {})
        for student, qid, qhash, status, settled in self.db.execute(
            "SELECT student, question_id, question_hash, status, settled FROM answers WHERE exam=?",
            (exam,),
        ):
            if student in out:
                done = status not in UNSETTLED and settled
                out[student].question_hashes[qid] = qhash if done else ""
        return out

    def answers(self, exam: str) -> list[StoredAnswer]:
        """Every stored answer with TA overrides applied (to whole questions or to parts);
        a decision on an answer that has changed since (``Override.applies_to``) is not."""
        overrides = self.overrides(exam)
        rows = self.db.execute(
            "SELECT student, question_id, marks, max_marks, status, result FROM answers"
            " WHERE exam=? ORDER BY student, rowid",
            (exam,),
        ).fetchall()
        out = []
        for student, qid, marks, max_marks, status, raw in rows:
            result = QuestionResult.model_validate_json(raw)
            final = float(marks)
            overridden = False
            whole = _active(overrides.get((student, qid)), result)
            if whole is not None:
                final, overridden = whole.marks, True
            pending = result.needs_review and whole is None
            if result.parts and whole is None:
                pending = False
                for part in result.parts:
                    o = _active(overrides.get((student, part.question_id)), part)
                    if o is not None:
                        final += o.marks - part.marks
                        overridden = True
                    elif part.needs_review:
                        pending = True
            out.append(
                StoredAnswer(
                    student,
                    qid,
                    round(final, 6),
                    float(marks),
                    float(max_marks),
                    status,
                    pending,
                    overridden,
                    result,
                )
            )
        return out

    def submissions(self, exam: str) -> list[StoredSubmission]:
        """Every graded submission of ``exam``, by student id."""
        return [
            StoredSubmission(s, int(v), json.loads(p), f)
            for s, v, p, f in self.db.execute(
                "SELECT student, variant, problems, folder FROM submissions WHERE exam=?"
                " ORDER BY student",
                (exam,),
            )
        ]

    def overrides(self, exam: str) -> dict[tuple[str, str], Override]:
        """Every recorded decision of ``exam`` by (student, question), stale ones included
        (see ``Override.applies_to``)."""
        return {
            (s, q): Override(
                s,
                q,
                float(m),
                c,
                r,
                None if p is None else tuple(json.loads(p)),
                h,
                "group" if scope == "group" else "answer",
                bool(auto),
                float(at),
            )
            for s, q, m, c, r, p, h, scope, auto, at in self.db.execute(
                "SELECT student, question_id, marks, comment, reviewer, points, answer_hash,"
                " scope, auto, decided_at FROM overrides WHERE exam=?",
                (exam,),
            )
        }

    def regrades(self, run_id: int) -> list[Regrade]:
        """The answers whose marks run ``run_id`` changed, by student and question."""
        return [
            Regrade(s, q, float(o), float(n))
            for s, q, o, n in self.db.execute(
                "SELECT student, question_id, old_marks, new_marks FROM regrades WHERE run_id=?"
                " ORDER BY student, question_id",
                (run_id,),
            )
        ]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only query helper for tests and reports."""
        return list(self.db.execute(sql, params))


def _decided_at(db: sqlite3.Connection, exam: str, key: tuple[str, str]) -> float | None:
    row = db.execute(
        "SELECT decided_at FROM overrides WHERE exam=? AND student=? AND question_id=?",
        (exam, *key),
    ).fetchone()
    return None if row is None else float(row[0])


def _active(o: Override | None, result: QuestionResult) -> Override | None:
    """``o`` when it holds for the answer graded in ``result``, else None."""
    return o if o is not None and o.applies_to(result.answer_hash) else None
