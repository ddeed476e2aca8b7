"""Markdown with $LaTeX$ -> standalone HTML, with the math rendered as MathML.

MathML is rendered natively by current browsers, so a page works offline with no
JavaScript: the math is already typeset when the file is opened.
"""

from __future__ import annotations

import html

import latex2mathml.converter
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

__all__ = ["markdown_to_html", "latex_to_mathml", "page"]


def latex_to_mathml(tex: str, display: bool = False) -> str:
    """One formula as MathML; an unparsable formula falls back to its escaped source."""
    try:
        out: str = str(latex2mathml.converter.convert(tex, display="block" if display else "inline"))
    except Exception:  # noqa: BLE001 - the converter raises many kinds on bad TeX
        return f'<code class="tex">{html.escape(tex)}</code>'
    return str(out)


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", lambda self, tokens, idx, options, env: latex_to_mathml(tokens[idx].content))
    md.add_render_rule("math_inline_double", lambda self, tokens, idx, options, env: latex_to_mathml(tokens[idx].content, True))
    md.add_render_rule("math_block", lambda self, tokens, idx, options, env: f"<div class=\"math\">{latex_to_mathml(tokens[idx].content, True)}</div>\n")
    md.add_render_rule("math_block_label", lambda self, tokens, idx, options, env: f"<div class=\"math\">{latex_to_mathml(tokens[idx].content, True)}</div>\n")
    return md


_MD = _renderer()


def markdown_to_html(text: str) -> str:
    """Render Markdown (raw HTML disabled: student text cannot inject markup)."""
    return str(_MD.render(text))


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; }
.score { font-weight: bold; } .ok { color: #1a7f37; } .bad { color: #cf222e; } .review { color: #9a6700; }
.math { margin: .5rem 0; overflow-x: auto; }
"""


def page(title: str, body_html: str) -> str:
    """A standalone HTML document."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body_html}</body>\n</html>\n"
    )
