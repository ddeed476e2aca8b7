"""The similarity report as files: an HTML page for a person to judge and a CSV of pairs.

Everything from a submission is hostile text: the page is rendered by Jinja2 with
autoescape on (as ``grader.review_page`` does) and has no script of its own; the CSV goes
through ``grader.reports._csv``, which disarms cells a spreadsheet would run as formulas.
The same report always gives the same bytes (no dates), so golden files stay stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader.reports._csv import csv_text, number
from grader.similarity.model import CodeMatch, PairEvidence, SimilarityReport

__all__ = ["HTML_NAME", "CSV_NAME", "render_html", "render_csv", "write_report"]

HTML_NAME = "similarity.html"
CSV_NAME = "similarity.csv"

CSV_HEADER = [
    "rank",
    "student_a",
    "student_b",
    "evidence_score",
    "code_slots",
    "largest_share_a_in_b",
    "largest_share_b_in_a",
    "shared_answers",
    "near_identical_text",
    "other_variant_keys",
    "details",
]


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    id: str
    """The line's anchor (``p<pair>-c<match>-<side>-l<line>``)."""
    hit: bool
    """Whether the line is in a matching region."""
    anchor: str = ""
    """On a region's first line: the region's anchor; the link goes to ``href``."""
    href: str = ""


def _lines(source: str, spans: list[tuple[int, int]], here: str, there: str) -> list[_Line]:
    """``source`` by line; ``here``/``there``: anchor prefixes of this side and the other."""
    out = []
    for n, text in enumerate(source.splitlines(), start=1):
        region = next((i for i, (lo, hi) in enumerate(spans) if lo <= n <= hi), None)
        line = _Line(n, text, f"{here}-l{n}", region is not None)
        if region is not None and spans[region][0] == n:
            line = _Line(n, text, line.id, True, f"{here}-r{region}", f"#{there}-r{region}")
        out.append(line)
    return out


def _code_view(m: CodeMatch, prefix: str) -> dict[str, object]:
    a, b = f"{prefix}-a", f"{prefix}-b"
    return {
        "match": m,
        "sides": [
            _lines(m.source_a, [(r.a_first, r.a_last) for r in m.regions], a, b),
            _lines(m.source_b, [(r.b_first, r.b_last) for r in m.regions], b, a),
        ],
    }


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Similarity evidence: {{ report.exam }}</title>
<style>
body{font-family:sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}
.side{display:flex;gap:1em}.side pre{flex:1;overflow-x:auto;background:#f7f7f7;padding:.5em}
.hit{background:#ffe58a}.ln{color:#888;user-select:none}
.note{background:#eef5ff;padding:.6em;border-left:4px solid #69c}
</style></head><body>
<h1>Similarity evidence: {{ report.exam }}</h1>
<p class="note">This page lists <b>evidence for a person to judge</b>, not findings of
misconduct. Students may share code or answers for innocent reasons (the same textbook, a study
group the course allows, a common mistake). Nothing here goes into student feedback.
{{ report.students }} submissions compared; code pairs shown from a shared share of
{{ "%.0f"|format(report.threshold * 100) }}% (code the students were given is not counted).</p>
{% if report.clusters %}<h2>Groups of more than two students</h2><ul>
{% for c in report.clusters %}<li>{{ c|join(", ") }}</li>{% endfor %}</ul>{% endif %}
<h2>Pairs, strongest evidence first</h2>
{% if not report.pairs %}<p>No pair shares more than chance and the given code explain.</p>
{% else %}<table><tr><th>#</th><th>students</th><th>evidence score</th><th>what matches</th></tr>
{% for p in report.pairs %}<tr><td><a href="#pair{{ loop.index }}">{{ loop.index }}</a></td>
<td>{{ p.a }} &amp; {{ p.b }}</td><td>{{ "%.2f"|format(p.score) }}</td>
<td>{% for m in p.code %}code {{ m.slot }} ({{ "%.0f"|format(m.share_a * 100) }}% / {{
"%.0f"|format(m.share_b * 100) }}%){% if not loop.last %}; {% endif %}{% endfor %}
{% if p.code and p.answers %}; {% endif %}{% for m in p.answers %}{{ m.slot }}: {{ m.reason
}}{% if not loop.last %}; {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>{% endif %}
{% for p in views %}
<section id="pair{{ loop.index }}"><h2>{{ loop.index }}. {{ p.pair.a }} &amp; {{ p.pair.b }}</h2>
{% for c in p.code %}<h3>Code {{ c.match.slot }}</h3>
<p>{{ "%.0f"|format(c.match.share_a * 100) }}% of {{ p.pair.a }}'s code fingerprints are in
{{ p.pair.b }}'s; {{ "%.0f"|format(c.match.share_b * 100) }}% of {{ p.pair.b }}'s are in
{{ p.pair.a }}'s. Matching regions are highlighted; click one to see its match.</p>
<div class="side">{% for lines in c.sides %}<pre>
{%- for l in lines %}<span id="{{ l.id }}"{% if l.hit %} class="hit"{% endif %}>
{%- if l.anchor %}<a id="{{ l.anchor }}" href="{{ l.href }}">{{ "%4d"|format(l.number) }}</a>
{%- else %}<span class="ln">{{ "%4d"|format(l.number) }}</span>{% endif %} {{ l.text }}</span>
{% endfor %}</pre>{% endfor %}</div>
{% endfor %}
{% if p.pair.answers %}<h3>Answers</h3><table><tr><th>question</th><th>why it is evidence</th>
<th>{{ p.pair.a }}</th><th>{{ p.pair.b }}</th><th>strength</th></tr>
{% for m in p.pair.answers %}<tr><td>{{ m.slot }}</td><td>{{ m.reason }}{% if m.note %}: {{ m.note
}}{% endif %}</td><td><pre>{{ m.answer_a }}</pre></td><td><pre>{{ m.answer_b }}</pre></td>
<td>{{ "%.2f"|format(m.weight) }}</td></tr>{% endfor %}</table>{% endif %}
</section>{% endfor %}
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(report: SimilarityReport) -> str:
    """The report page: pairs ranked, groups, and per pair the matching code side by side
    (regions highlighted and linked to their match) and the shared answers."""
    views = [
        {"pair": p, "code": [_code_view(m, f"p{i}-c{j}") for j, m in enumerate(p.code, 1)]}
        for i, p in enumerate(report.pairs, 1)
    ]
    return _ENV.from_string(_TEMPLATE).render(report=report, views=views)


def _csv_row(rank: int, p: PairEvidence) -> list[str | int | float]:
    values = [m for m in p.answers if m.reason in ("rare wrong answer", "rare MCQ pattern")]
    texts = [m for m in p.answers if m.reason == "near-identical text"]
    keys = [m for m in p.answers if m.reason == "other variant's key"]
    details = "; ".join(
        [f"{m.slot}: code {m.share_a:.0%} / {m.share_b:.0%}" for m in p.code]
        + [f"{m.slot}: {m.reason} ({m.answer_a!r} / {m.answer_b!r})" for m in p.answers]
    )
    return [
        rank,
        p.a,
        p.b,
        number(p.score, 4),
        " ".join(m.slot for m in p.code),
        number(max((m.share_a for m in p.code), default=0.0), 4),
        number(max((m.share_b for m in p.code), default=0.0), 4),
        len(values),
        len(texts),
        len(keys),
        details,
    ]


def render_csv(report: SimilarityReport) -> str:
    """One row per pair, ranked as on the page; every text cell formula-safe."""
    return csv_text([CSV_HEADER, *(_csv_row(i, p) for i, p in enumerate(report.pairs, 1))])


def write_report(report: SimilarityReport, out: Path) -> tuple[Path, Path]:
    """Write ``similarity.html`` and ``similarity.csv`` into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    html, csv = out / HTML_NAME, out / CSV_NAME
    html.write_text(render_html(report), encoding="utf-8")
    csv.write_text(render_csv(report), encoding="utf-8")
    return html, csv
