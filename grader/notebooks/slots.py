"""Each code question's slot in a notebook: the id its cell is tagged with (``B4a/code`` for a
part), the file its cells become and the function that finds an untagged cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.loading import LoadedExam
from grader.notebooks.reader import CodeSlot
from grader.schema import CodeQuestion, MultipartQuestion

if TYPE_CHECKING:
    from grader.kit_manifest import KitManifest

__all__ = ["exam_slots", "kit_slots"]


def exam_slots(exam: LoadedExam) -> dict[str, CodeSlot]:
    """The code questions of ``exam`` (parts as ``question/part``), in paper order."""
    slots: dict[str, CodeSlot] = {}
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        if isinstance(q, CodeQuestion):
            slots[qid] = CodeSlot(q.file, q.function)
        elif isinstance(q, MultipartQuestion):
            for p in q.parts:
                if isinstance(p, CodeQuestion):
                    slots[f"{qid}/{p.id}"] = CodeSlot(p.file, p.function)
    return slots


def kit_slots(manifest: KitManifest) -> dict[str, CodeSlot]:
    """The same slots, from what a kit says about its questions."""
    from grader.kit_manifest import KitCode, KitMultipart  # imports torch: only for kits

    slots: dict[str, CodeSlot] = {}
    for d in manifest.questions:
        if isinstance(d, KitCode):
            slots[d.id] = CodeSlot(d.file, d.function)
        elif isinstance(d, KitMultipart):
            for p in d.parts:
                if isinstance(p, KitCode):
                    slots[f"{d.id}/{p.id}"] = CodeSlot(p.file, p.function)
    return slots
