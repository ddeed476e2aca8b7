"""A similarity report full of hostile student text, shared by the report tests."""

from grader.similarity.model import (
    AnswerMatch,
    CodeMatch,
    CodeRegion,
    PairEvidence,
    SimilarityReport,
)

SCRIPT = "<script>window.pwned = 1</script>"
IMG = '<img src=x onerror="window.pwned = 2">'
FORMULA = '=HYPERLINK("http://evil.example", "click")'

HOSTILE_CODE = f'def f(x):\n    s = "{SCRIPT}"\n    return x  # {IMG}\n'


def hostile_report() -> SimilarityReport:
    pair = PairEvidence(
        "alice",
        "bob",
        code=(CodeMatch("B1a", 0.9, 0.8, (CodeRegion(1, 3, 1, 3),), HOSTILE_CODE, HOSTILE_CODE),),
        answers=(
            AnswerMatch("B2a-i", "near-identical text", SCRIPT, IMG, 0.95),
            AnswerMatch("N1", "rare wrong answer", FORMULA, FORMULA, 2.5),
        ),
    )
    return SimilarityReport("midsem-2025", 3, 0.4, (pair,), ())
