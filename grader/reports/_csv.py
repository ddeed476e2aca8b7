"""Writing CSV that spreadsheets open safely: the one rule against formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://evil", "click")``), and tab or carriage return can hide such a start.
Following OWASP's CSV-injection advice, every text cell that starts with one of these is
prefixed with a single quote, which spreadsheets show as text; the csv module then quotes
it as usual. Our own numbers are passed as numbers (``int``/``float``), never escaped, so a
mark of -0.5 stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["Cell", "number", "safe_cell", "csv_text"]

Cell = str | int | float
"""A CSV cell: text (escaped when it could start a formula) or one of our own numbers."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Cell) -> Cell:
    """``value`` ready for a CSV cell: text that a spreadsheet would run gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def number(x: float, digits: int = 6) -> int | float:
    """``x`` to ``digits`` significant figures, an ``int`` when whole (written ``2``, not
    ``2.0``)."""
    rounded = float(f"{x:.{digits}g}")
    return int(rounded) if rounded.is_integer() else rounded


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """``rows`` as CSV text (``\\n`` line ends), every cell through ``safe_cell``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buf.getvalue()
