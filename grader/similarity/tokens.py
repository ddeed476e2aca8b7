"""Python source as a normalized token stream: what copied code keeps when it is disguised.

Python's own ``tokenize`` splits the source; comments, blank lines, indentation and line
breaks are dropped, and every identifier, string and number becomes one placeholder (``N``,
``S``, ``0``), so renaming variables, rewording strings or reformatting a file changes
nothing. Keywords and operators stay: they are the shape of the program. Each token keeps
the line it came from, so that a match can be shown in the student's own file.
"""

from __future__ import annotations

import io
import keyword
import tokenize
from typing import NamedTuple

__all__ = ["Token", "normalized_tokens"]


class Token(NamedTuple):
    """One normalized token and the (1-based) source line it starts on."""

    text: str
    line: int


_DROPPED = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
)
_SOFT_KEYWORDS = frozenset(keyword.softkwlist)


def _normalized(tok: tokenize.TokenInfo) -> str:
    if tok.type == tokenize.NAME:
        if keyword.iskeyword(tok.string) and tok.string not in _SOFT_KEYWORDS:
            return tok.string
        return "N"
    if tok.type == tokenize.STRING or tok.type in _FSTRING_TYPES:
        return "S"
    if tok.type == tokenize.NUMBER:
        return "0"
    return tok.string


_FSTRING_TYPES = frozenset(
    getattr(tokenize, name)
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(tokenize, name)
)


def normalized_tokens(source: str) -> list[Token]:
    """The tokens of ``source`` with layout dropped and names, strings and numbers abstracted.

    Never raises: code that does not tokenize (an unclosed bracket, bad indentation) gives
    the tokens read before the problem, which is still evidence worth comparing."""
    out: list[Token] = []
    previous_fstring_part = False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _DROPPED:
                continue
            text = _normalized(tok)
            fstring_part = tok.type in _FSTRING_TYPES
            if fstring_part and previous_fstring_part:
                continue  # an f-string is one string however many pieces it has
            previous_fstring_part = fstring_part
            out.append(Token(text, tok.start[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return out
