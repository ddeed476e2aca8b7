from grader.similarity.fingerprints import WINDOW, K, winnow
from grader.similarity.tokens import normalized_tokens

ORIGINAL = """
def total(values):
    # add them up
    s = 0
    for v in values:
        s = s + v * 2
    return s
"""

RENAMED = """
def add_all(xs):  # different comment
    acc = 0

    for item in xs:
        acc = acc + item * 3
    return acc
"""


def texts(source: str) -> list[str]:
    return [t.text for t in normalized_tokens(source)]


def test_renaming_comments_and_blank_lines_leave_the_tokens_unchanged() -> None:
    assert texts(ORIGINAL) == texts(RENAMED)


def test_keywords_and_operators_are_kept() -> None:
    assert texts("for a in b: c = a * 2") == ["for", "N", "in", "N", ":", "N", "=", "N", "*", "0"]


def test_code_that_does_not_tokenize_gives_the_tokens_before_the_problem() -> None:
    tokens = normalized_tokens("x = (1 +\n")
    assert [t.text for t in tokens][:3] == ["N", "=", "("]


def test_tokens_remember_their_source_line() -> None:
    assert [t.line for t in normalized_tokens("a = 1\n\nb = 2\n")] == [1, 1, 1, 3, 3, 3]


def test_a_file_shorter_than_one_k_gram_has_no_fingerprints() -> None:
    assert winnow(normalized_tokens("x = 1")) == []


def test_a_shared_passage_of_k_plus_window_tokens_always_shares_a_fingerprint() -> None:
    passage = "y = a * b + c - d / e ** f\n"  # 14 tokens
    shared = passage * 2  # 28 tokens >= K + WINDOW - 1
    assert len(normalized_tokens(shared)) >= K + WINDOW - 1
    one = winnow(normalized_tokens("if x:\n    pass\n" + shared))
    two = winnow(normalized_tokens("while q < 3:\n    q += 1\n" + shared + "z = [1, 2]\n"))
    assert {f.hash for f in one} & {f.hash for f in two}


def test_renamed_and_recommented_code_has_the_same_fingerprints() -> None:
    assert [f.hash for f in winnow(normalized_tokens(ORIGINAL))] == [
        f.hash for f in winnow(normalized_tokens(RENAMED))
    ]
