"""Benchmark: how much of a TA's free-text marking answer groups and suggestions save, and at
what cost in agreement with hand labels. Not a test.

Usage: python benchmarks/text_review/run.py [--data FILE ...] [--quick] [--sizes 1000,10000]

On the labelled answers (default: every file in benchmarks/text_review/data/) it prints:
  (a) the TA decisions needed with groups, as a share of the answers;
  (b) the final marks' agreement with the labels when the TA decides every group's
      representative (Pearson r, exact share, mean absolute error);
  (c) the same when the TA decides only the largest groups, at most 25% of the answers'
      count, and the other groups keep their suggestions;
  (d) the suggestions alone, no decision: precision and recall per rubric point, Cohen's
      kappa over (answer, point) pairs, Pearson r of the marks; and the keyword rubric's r;
  (e) the throughput of encoding, grouping and suggestion at 1,000 and 10,000 answers
      made by perturbing the labelled ones (--quick: 1,000 only).
Marks pooled over questions are taken as shares of each question's marks.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, first

from benchmarks.text_review.keyword_baseline import keyword_marks
from benchmarks.text_review.labelled_set import LabelledQuestion, load_labelled
from benchmarks.text_review.metrics import (
    cohen_kappa,
    exact_share,
    fmt,
    mean_absolute_error,
    pearson,
    precision_recall,
)
from benchmarks.text_review.simulate import (
    Label,
    Walk,
    embedding_lookup,
    encode_once,
    group,
    mixed_groups,
    walk,
)
from benchmarks.text_review.synthetic import perturbed_class
from grader.answer_groups import AnswerGroup, EmbeddingsOf
from grader.text_model import LoadedModel, text_model

BUDGET_SHARE = 0.25
"""The TA's budget in (c): at most this share of a question's answers in decisions."""
SEED = 16


@dataclass(frozen=True)
class Reviewed:
    """One labelled question after the three walks and the keyword baseline."""

    question: LabelledQuestion
    full: Walk
    """The TA decides every group."""
    budget: Walk
    """The TA decides at most ``BUDGET_SHARE`` of the answers' count."""
    alone: Walk
    """No decision: the suggestions alone."""
    keywords: tuple[float, ...]
    """The keyword rubric's marks."""
    mixed: tuple[AnswerGroup, ...]
    """The groups whose members are labelled differently."""

    def shares(self, marks: Sequence[float]) -> list[float]:
        """``marks`` as shares of the question's marks."""
        return [m / self.question.question.marks for m in marks]


def rubric_texts(questions: Sequence[LabelledQuestion]) -> list[str]:
    """Every description, example and counter-example of the questions' rubrics."""
    return [
        t
        for q in questions
        for p in q.question.rubric
        for t in (p.description, *p.examples, *p.counter_examples)
    ]


def review_all(
    questions: Sequence[LabelledQuestion], embeddings_of: EmbeddingsOf
) -> list[Reviewed]:
    """Each question grouped once, then walked with every, a budgeted and no decision."""
    out = []
    for q in questions:
        texts = [a.text for a in q.answers]
        labels = [Label(a.marks, a.points) for a in q.answers]
        grouping = group(texts, embeddings_of)
        budget = math.floor(BUDGET_SHARE * len(texts))
        out.append(
            Reviewed(
                q,
                walk(q.question, grouping, labels, embeddings_of),
                walk(q.question, grouping, labels, embeddings_of, budget),
                walk(q.question, grouping, labels, embeddings_of, 0),
                tuple(keyword_marks(q.question, t) for t in texts),
                tuple(mixed_groups(grouping, labels)),
            )
        )
    return out


def _row(cells: Sequence[object], widths: Sequence[int]) -> str:
    return "  ".join(
        str(c).ljust(w) if i == 0 else str(c).rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(_row(header, widths))
    print(_row(["-" * w for w in widths], widths))
    for r in rows:
        print(_row(r, widths))
    print()


def print_agreement(reviewed: Sequence[Reviewed]) -> None:
    """Figures (a), (b), (c) and the keyword baseline, per question and pooled."""
    header = [
        "question", "answers", "groups", "mixed", "groups/N", "sugg. ok", "(b) r", "exact", "MAE",
        "(c) TA", "(c) r", "MAE", "(d) r", "keyword r",
    ]  # fmt: skip
    rows: list[list[object]] = []
    for r in reviewed:
        labels = [a.marks for a in r.question.answers]
        n = len(labels)
        rows.append(
            [
                r.question.key, n, r.full.groups, len(r.mixed), fmt(r.full.groups / n),
                f"{r.full.accepted}/{r.full.decisions}",
                fmt(pearson(r.full.marks, labels)), fmt(exact_share(r.full.marks, labels)),
                fmt(mean_absolute_error(r.full.marks, labels)),
                fmt(r.budget.decisions / n), fmt(pearson(r.budget.marks, labels)),
                fmt(mean_absolute_error(r.budget.marks, labels)),
                fmt(pearson(r.alone.marks, labels)), fmt(pearson(r.keywords, labels)),
            ]
        )  # fmt: skip
    pooled = {
        name: [s for r in reviewed for s in r.shares(getattr(r, name).marks)]
        for name in ("full", "budget", "alone")
    }
    keywords = [s for r in reviewed for s in r.shares(r.keywords)]
    labels = [s for r in reviewed for s in r.shares([a.marks for a in r.question.answers])]
    n = len(labels)
    groups = sum(r.full.groups for r in reviewed)
    rows.append(
        [
            f"all ({len(reviewed)} questions)", n, groups, sum(len(r.mixed) for r in reviewed),
            fmt(groups / n),
            f"{sum(r.full.accepted for r in reviewed)}/{sum(r.full.decisions for r in reviewed)}",
            fmt(pearson(pooled["full"], labels)), fmt(exact_share(pooled["full"], labels)),
            fmt(mean_absolute_error(pooled["full"], labels)),
            fmt(sum(r.budget.decisions for r in reviewed) / n),
            fmt(pearson(pooled["budget"], labels)),
            fmt(mean_absolute_error(pooled["budget"], labels)),
            fmt(pearson(pooled["alone"], labels)), fmt(pearson(keywords, labels)),
        ]
    )  # fmt: skip
    print("(a) decisions with groups, (b) every group decided, (c) budgeted TA, (d) suggestions")
    print(
        "groups/N: TA decisions needed per answer; mixed: groups whose members' labels differ; "
        "sugg. ok: decisions where the suggestion "
        "shown had the label's marks;\n(c) TA: decisions made per answer (at most "
        f"{BUDGET_SHARE:g}); MAE in marks per question, pooled ('all') in shares of the marks"
    )
    _table(header, rows)
    kw, alone = pearson(keywords, labels), pearson(pooled["alone"], labels)
    print(
        f"suggestions alone vs keyword rubric (pooled Pearson r): {fmt(alone)} vs {fmt(kw)}"
        + (f" (x{alone / kw:.2f})" if kw > 0 and not math.isnan(alone) else "")
    )
    print()


def print_mixed(reviewed: Sequence[Reviewed]) -> None:
    """Every group whose members are labelled differently, with each member's label."""
    print("groups whose members' labels differ (representative first)")
    for r in reviewed:
        for g in r.mixed:
            print(f"{r.question.key}, group {g.group} ({g.kind}, {g.size} answers):")
            for m in g.members:
                a = r.question.answers[int(m.student)]
                print(f"  {a.marks:g} {list(a.points)} {a.kind}: {m.text[:100]!r}")
    print()


def print_points(reviewed: Sequence[Reviewed]) -> None:
    """Figure (d): the suggestions alone, per rubric point and overall."""
    rows: list[list[object]] = []
    suggested_all: list[bool] = []
    labelled_all: list[bool] = []
    for r in reviewed:
        for p in r.question.question.rubric:
            suggested = [p.id in pts for pts in r.alone.points]
            labelled = [p.id in a.points for a in r.question.answers]
            precision, recall = precision_recall(suggested, labelled)
            rows.append(
                [
                    f"{r.question.key} {p.id}", sum(labelled), sum(suggested), fmt(precision),
                    fmt(recall), fmt(cohen_kappa(suggested, labelled)),
                ]
            )  # fmt: skip
            suggested_all += suggested
            labelled_all += labelled
    precision, recall = precision_recall(suggested_all, labelled_all)
    rows.append(
        [
            "all points", sum(labelled_all), sum(suggested_all), fmt(precision), fmt(recall),
            fmt(cohen_kappa(suggested_all, labelled_all)),
        ]
    )  # fmt: skip
    print("(d) suggestions alone (no TA decision) per rubric point; kappa over (answer, point)")
    _table(["rubric point", "labelled", "suggested", "precision", "recall", "kappa"], rows)


def print_kinds(reviewed: Sequence[Reviewed]) -> None:
    """Mean absolute error (shares of the marks) by kind of answer."""
    kinds: dict[str, list[list[float]]] = {}
    for r in reviewed:
        q = r.question.question.marks
        for i, a in enumerate(r.question.answers):
            given = [w.marks[i] for w in (r.full, r.budget, r.alone)] + [r.keywords[i]]
            kinds.setdefault(a.kind, []).append([abs(m - a.marks) / q for m in given])
    rows = [
        [kind, len(e), *(fmt(sum(x[k] for x in e) / len(e)) for k in range(4))]
        for kind, e in sorted(kinds.items())
    ]
    print("mean absolute error by kind of answer (share of the question's marks)")
    _table(["kind", "answers", "(b) all", "(c) 25%", "(d) alone", "keywords"], rows)


def print_throughput(
    model: LoadedModel, questions: Sequence[LabelledQuestion], sizes: Sequence[int]
) -> None:
    """Figure (e): encoding, grouping and suggestions (no decision) for perturbed classes."""
    sources = [(q, a) for q in questions for a in q.answers]
    rows = []
    for n in sizes:
        made = perturbed_class([a.text for _, a in sources], n, SEED + n)
        by_question: dict[str, list[tuple[str, Label]]] = {}
        for text, i in made:
            q, a = sources[i]
            by_question.setdefault(q.key, []).append((text, Label(a.marks, a.points)))
        began = time.perf_counter()
        table = encode_once([t for t, _ in made] + rubric_texts(questions), model.encode)
        encoded = time.perf_counter()
        lookup = embedding_lookup(table)
        groupings = {k: group([t for t, _ in v], lookup) for k, v in by_question.items()}
        grouped = time.perf_counter()
        for q in questions:
            if q.key in by_question:
                labels = [label for _, label in by_question[q.key]]
                walk(q.question, groupings[q.key], labels, lookup, budget=0)
        done = time.perf_counter()
        groups = sum(sum(g.kind != "blank" for g in x.groups) for x in groupings.values())
        rows.append(
            [
                f"{n:,}", len(by_question), f"{groups:,}", f"{encoded - began:.1f}",
                f"{grouped - encoded:.1f}", f"{done - grouped:.1f}", f"{done - began:.1f}",
            ]
        )  # fmt: skip
    print(
        "(e) throughput: distinct perturbed answers spread over the questions, every group "
        "suggested (no decision), seconds"
    )
    _table(["answers", "questions", "groups", "encoding", "grouping", "suggestions", "total"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, action="append", help="a labelled file (repeatable)")
    ap.add_argument("--quick", action="store_true", help="throughput at 1,000 answers only")
    ap.add_argument("--show-mixed", action="store_true", help="list the groups whose labels differ")
    ap.add_argument(
        "--sizes", default=None, help="throughput class sizes, comma-separated ('' for none)"
    )
    args = ap.parse_args(argv)
    sizes_text = args.sizes if args.sizes is not None else "1000" if args.quick else "1000,10000"
    sizes = [int(s) for s in sizes_text.split(",") if s.strip()]
    questions = load_labelled(args.data)
    began = time.perf_counter()
    model = text_model()
    if not isinstance(model, LoadedModel):
        print(
            f"the text model is not available ({model.describe()}); this benchmark measures "
            "the model's groups and suggestions, so it stops here",
            file=sys.stderr,
        )
        return 2
    import torch

    print(
        f"text review benchmark, {time.strftime('%Y-%m-%d %H:%M')}: {platform.node()}, "
        f"{os.cpu_count()} CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"{model.matcher.describe()} (loaded in {time.perf_counter() - began:.1f} s), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    answers = [a.text for q in questions for a in q.answers]
    print(f"{len(answers)} labelled answers to {len(questions)} questions\n")
    table = encode_once(answers + rubric_texts(questions), model.encode)
    reviewed = review_all(questions, embedding_lookup(table))
    print_agreement(reviewed)
    if args.show_mixed:
        print_mixed(reviewed)
    print_points(reviewed)
    print_kinds(reviewed)
    if sizes:
        print_throughput(model, questions, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
