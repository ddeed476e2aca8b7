"""The review page in a real browser: `grader review EXAM --out DIR --serve --port P` started
as a TA starts it (the real text model when the `text` extra is installed), Debian's
chromium driven by Playwright, a whole question marked with the keyboard only (points
ticked with digits, an answer split off with `s`, a comment typed without triggering
shortcuts, marks typed in the marks box, Enter to confirm, `j`/`k`/arrows between groups),
then the gradebook and the feedback pages checked; no student script ran."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from review_class import EXAM_ID, HOSTILE, Course

from grader.gradebook import Gradebook

REPO = Path(__file__).resolve().parents[2]
SPLIT_COMMENT = "split off: j k s 1 2 ? are typed, not shortcuts"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """The running `grader review --serve` process and the URL it printed."""

    process: subprocess.Popen[str]
    url: str
    printed: list[str]

    def stop(self) -> int:
        """Ctrl+C, as a TA stops it; the reports are rewritten before it exits."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=120)


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Every line the process prints, then "" when it exits."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put("")


@pytest.fixture
def served(course: Course) -> Iterator[Served]:
    port = _free_port()
    command = [sys.executable, "-m", "grader", "review", str(course.exam_file)]
    command += ["--out", str(course.out), "--serve", "--port", str(port), "--reviewer", "ta1"]
    env = os.environ | {"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        cwd=course.out,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process, lines), daemon=True).start()
    printed: list[str] = []
    url = ""
    deadline = time.monotonic() + 120
    while not url:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            line = ""
        if not line:
            process.kill()
            pytest.fail(f"the page printed no URL: {''.join(printed)}")
        printed.append(line)
        if line.strip().startswith(f"http://127.0.0.1:{port}/?token="):
            url = line.strip()
    yield Served(process, url, printed)
    if process.poll() is None:
        process.kill()
        process.wait()


def wanted_points(text: str) -> list[str]:
    """What the test's TA awards: perm for a (not negated) permutation answer, raw for an
    answer about integer positions."""
    low = text.lower()
    points = []
    if "permutation invariant" in low and " not " not in low:
        points.append("perm")
    if "integer" in low:
        points.append("raw")
    return points


STATE = """() => {
  const form = document.querySelector('#panel form.decision');
  return {
    group: Number(document.querySelector('#group-title').dataset.group),
    scope: form.elements.scope.value,
    text: document.querySelector('#shown-answer').textContent,
    boxes: Array.from(form.querySelectorAll('input[name=points]')).map(b => [b.value, b.checked]),
    marks: form.elements.marks.value,
    members: Array.from(document.querySelectorAll('#panel li.answer'))
      .map(li => li.dataset.student),
    groups: Array.from(document.querySelectorAll('#group-list a.group-link'))
      .map(a => Number(a.dataset.group)),
    flash: (document.querySelector('#panel .flash') || {textContent: ''}).textContent,
  };
}"""


class Reviewer:
    """A TA at the keyboard: every action is a key press."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate(STATE))

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def tick(self, points: list[str]) -> None:
        """Press the digits that leave exactly ``points`` ticked (and the marks box
        following them, not a suggestion's partial marks)."""
        keys = [
            str(i)
            for i, (point, checked) in enumerate(self.state()["boxes"], start=1)
            if checked != (point in points)
        ]
        for key in keys or ["1", "1"]:
            self.press(key)

    def confirm(self, key: str = "Enter") -> dict[str, Any]:
        with self.page.expect_response(lambda r: r.url.endswith("/decide")) as response:
            self.press(key)
        assert response.value.status == 200, response.value.text()
        self.page.wait_for_function("() => document.querySelector('#panel .flash.saved')")
        return self.state()

    def go(self, key: str, group: int) -> None:
        """Press ``key`` (j, k or an arrow) and wait for group ``group`` to show."""
        with self.page.expect_response(lambda r: "/question?" in r.url):
            self.press(key)
        self.page.wait_for_function(
            f"() => document.querySelector('#group-title')?.dataset.group === '{group}'"
        )


def test_a_ta_marks_a_whole_question_with_the_keyboard_and_the_feedback_follows(
    served: Served, browser: Any, course: Course
) -> None:
    page = browser.new_page()
    page.goto(served.url)  # the token sets the cookie; the URL loses it
    assert page.url.endswith(":" + served.url.split(":")[2].split("/")[0] + "/")
    page.click("text=T1")
    page.wait_for_selector("#group-title")
    ta = Reviewer(page)
    expected: dict[str, float] = {}
    decided: set[int] = set()
    split_student = ""

    # `?` opens the shortcuts, `?` closes them
    ta.press("?")
    assert page.evaluate("() => document.getElementById('help').open")
    ta.press("?")
    assert not page.evaluate("() => document.getElementById('help').open")

    # group 1: split its second answer off with the keyboard, give it 0 and a comment
    first = ta.state()
    assert first["group"] == 1 and len(first["members"]) >= 2
    ta.press("a")  # the answers open, the first is focused
    ta.press("Tab")  # its split button
    ta.press("Tab")  # the second answer
    split_student = page.evaluate("() => document.activeElement.dataset.student")
    assert split_student == first["members"][1]
    with page.expect_response(lambda r: "student=" in r.url):
        ta.press("s")
    page.wait_for_function("() => document.querySelector('#panel .split-note')")
    assert ta.state()["scope"] == "answer"
    ta.tick([])
    assert ta.state()["marks"] == "0"  # the marks follow the points
    ta.press("c")
    page.keyboard.type(SPLIT_COMMENT)
    ta.press("Escape")
    after_split = ta.confirm()
    assert after_split["group"] == 1 and after_split["scope"] == "group"
    expected[split_student] = 0.0

    typed_marks_group = 0
    while True:
        state = ta.state()
        if state["group"] in decided:
            left = [g for g in state["groups"] if g not in decided]
            if not left:
                break
            at, to = state["groups"].index(state["group"]), state["groups"].index(left[0])
            keys = ["j", "ArrowDown"] if to > at else ["k", "ArrowUp"]
            for step in range(abs(to - at)):
                index = at + (step + 1) * (1 if to > at else -1)
                ta.go(keys[step % 2], state["groups"][index])
            continue
        if HOSTILE.split(">")[0] in state["text"]:
            assert state["text"] == HOSTILE  # shown as text, exactly as written
        points = wanted_points(state["text"])
        ta.tick(points)
        marks = float(len(points))  # each point is worth 1
        assert float(ta.state()["marks"]) == marks  # the marks follow the ticked points
        if not typed_marks_group and state["group"] != 1:
            typed_marks_group = state["group"]
            ta.press("m")
            ta.press("Control+a")
            page.keyboard.type("0.5")
            marks = 0.5
            ta.confirm("Enter")  # Enter in the marks box confirms
        else:
            ta.confirm()
        decided.add(state["group"])
        for student in state["members"]:
            expected.setdefault(student, marks)

    assert page.evaluate("() => window.pwned") is None  # no student script ran
    progress = page.evaluate(
        "() => [document.getElementById('question-progress').value,"
        " document.getElementById('question-progress').max]"
    )
    assert progress[0] == progress[1] == 16
    page.close()
    assert served.stop() == 0

    book = Gradebook(course.gradebook)
    decisions = {s: o for (s, q), o in book.overrides(EXAM_ID).items() if q == "T1"}
    book.close()
    assert sorted(decisions) == sorted(expected) and len(decisions) == 16
    assert {s: o.marks for s, o in decisions.items()} == expected
    assert {o.reviewer for o in decisions.values()} == {"ta1"}
    split = decisions[split_student]
    assert (split.scope, split.comment) == ("answer", SPLIT_COMMENT)
    assert typed_marks_group and 0.5 in expected.values()
    for student, marks in expected.items():
        feedback = (course.out / "feedback" / f"{student}.md").read_text()
        assert f"### T1 — {marks:.4g} / 2\n\n*reviewed by a TA*" in feedback, student
    assert SPLIT_COMMENT in (course.out / "feedback" / f"{split_student}.md").read_text()
