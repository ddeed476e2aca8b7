"""``grader review EXAM --out DIR --serve [--port P]``: the page listens on 127.0.0.1 only
(no option moves it), on a free port unless one is given, and a busy port is refused with
what to do."""

from __future__ import annotations

import socket

import pytest
from review_class import Course

from grader.cli import ExitCode, main
from grader.errors import InfrastructureError
from grader.review_page import server


def test_there_is_no_option_to_listen_beyond_this_machine(
    course: Course, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(course.exam_file), "--out", str(course.out), "--serve", "--host", "0"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --host" in capsys.readouterr().err


def test_the_page_listens_on_127_0_0_1_on_a_free_port_by_default() -> None:
    sock = server._listen(None)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
    finally:
        sock.close()


def test_a_busy_port_is_refused_with_what_to_do() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(
            InfrastructureError,
            match=f"cannot listen on 127.0.0.1:{port}: .*choose another --port, or leave it out",
        ):
            server._listen(port)
    finally:
        taken.close()


def test_serving_without_a_gradebook_says_to_grade_first(
    course: Course, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["review", str(course.exam_file), "--out", str(course.out / "nothing"), "--serve"])
    assert code == ExitCode.ERROR
    assert "run `grader grade` first" in capsys.readouterr().err
