"""Markdown with $LaTeX$ -> standalone HTML, with the math rendered as MathML.

MathML is rendered natively by current browsers, so a page works offline with no
JavaScript: the math is already typeset when the file is opened.

Student text reaches these pages (answers quoted in feedback, problems with a
submission), so every fragment leaves through ``sanitize_html``: an allowlist of the
Markdown and MathML tags and attributes we produce, enforced by nh3 (the Rust ammonia
sanitizer), so nothing a student writes can run as script in a TA's or student's browser.
"""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import tostring

import latex2mathml.converter
import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

__all__ = ["markdown_to_html", "markdown_page", "latex_to_mathml", "page", "sanitize_html"]

# ------------------------------------------------------------------ sanitizing

_MATHML_TAGS = {
    "math",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mtext",
    "mspace",
    "mtable",
    "mtr",
    "mtd",
    "mover",
    "munder",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "none",
    "semantics",
    "annotation",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "merror",
}
_MARKDOWN_TAGS = {
    "p",
    "div",
    "span",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "hr",
    "br",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "s",
}
_MATHML_ATTRIBUTES = {
    "display",
    "mathvariant",
    "mathsize",
    "mathcolor",
    "mathbackground",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "accent",
    "accentunder",
    "largeop",
    "movablelimits",
    "symmetric",
    "minsize",
    "maxsize",
    "form",
    "displaystyle",
    "scriptlevel",
    "linethickness",
    "linebreak",
    "notation",
    "width",
    "height",
    "depth",
    "voffset",
    "columnalign",
    "columnlines",
    "columnspacing",
    "columnspan",
    "rowalign",
    "rowlines",
    "rowspacing",
    "rowspan",
    "frame",
    "encoding",
}
_ATTRIBUTES = {
    **{tag: _MATHML_ATTRIBUTES for tag in _MATHML_TAGS - {"math"}},
    "math": _MATHML_ATTRIBUTES | {"xmlns"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "div": {"class"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"style"},
    "td": {"style"},  # Markdown tables align columns with style="text-align: ..."
}
_CLEANER = nh3.Cleaner(
    tags=_MATHML_TAGS | _MARKDOWN_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    filter_style_properties={"text-align"},
)


def sanitize_html(fragment: str) -> str:
    """``fragment`` with everything outside the allowlist removed.

    Kept: the Markdown tags and the MathML tags and attributes our renderer writes, links
    to http(s)/mailto (relative ones too), ``text-align`` in table cells. Removed, with
    any content of script and style: every other tag (script, iframe, object, embed,
    form, svg, ...), every event handler and other attribute, ``javascript:`` and other
    URL schemes, any other CSS.
    """
    return str(_CLEANER.clean(fragment))


# ------------------------------------------------------------------ rendering

_CHAR_REF = re.compile(r"&#(x[0-9A-Fa-f]+|[0-9]+);")


def _char(m: re.Match[str]) -> str:
    ref = m.group(1)
    try:
        return chr(int(ref[1:], 16) if ref[0] == "x" else int(ref))
    except (ValueError, OverflowError):
        return m.group(0)


def latex_to_mathml(tex: str, display: bool = False) -> str:
    """One formula as MathML; an unparsable formula falls back to its escaped source.

    latex2mathml's own string output unescapes all text, so a student's ``\\text{<img ...>}``
    would come out as a tag: we serialize its element tree ourselves, turning the
    character references it writes (``&#x0211D;``) into characters and escaping all text.
    """
    try:
        root = latex2mathml.converter.convert_to_element(
            tex, display="block" if display else "inline"
        )
    except Exception:  # noqa: BLE001 - the converter raises many kinds on bad TeX
        return f'<code class="tex">{html.escape(tex)}</code>'
    for el in root.iter():
        if el.text:
            el.text = _CHAR_REF.sub(_char, el.text)
        if el.tail:
            el.tail = _CHAR_REF.sub(_char, el.tail)
    return tostring(root, encoding="unicode")


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule(
        "math_inline", lambda self, tokens, idx, options, env: latex_to_mathml(tokens[idx].content)
    )
    md.add_render_rule(
        "math_inline_double",
        lambda self, tokens, idx, options, env: latex_to_mathml(tokens[idx].content, True),
    )
    md.add_render_rule(
        "math_block",
        lambda self, tokens, idx, options, env: (
            f'<div class="math">{latex_to_mathml(tokens[idx].content, True)}</div>\n'
        ),
    )
    md.add_render_rule(
        "math_block_label",
        lambda self, tokens, idx, options, env: (
            f'<div class="math">{latex_to_mathml(tokens[idx].content, True)}</div>\n'
        ),
    )
    return md


_MD = _renderer()


def markdown_to_html(text: str) -> str:
    """Render Markdown to a sanitized HTML fragment (raw HTML in the text is shown as text)."""
    return sanitize_html(str(_MD.render(text)))


_STYLE = (
    "\n"
    "body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; "
    "padding: 0 1rem; line-height: 1.5; color: #222; }\n"
    "h1, h2, h3 { line-height: 1.2; }\n"
    "table { border-collapse: collapse; } "
    "td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }\n"
    "pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; }\n"
    ".score { font-weight: bold; } .ok { color: #1a7f37; } .bad { color: #cf222e; } "
    ".review { color: #9a6700; }\n"
    ".math { margin: .5rem 0; overflow-x: auto; }\n"
)


def _document(title: str, safe_body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{safe_body}</body>\n</html>\n"
    )


def page(title: str, body_html: str) -> str:
    """A standalone HTML document around ``body_html``, which is sanitized here."""
    return _document(title, sanitize_html(body_html))


def markdown_page(title: str, text: str) -> str:
    """A standalone HTML document of the Markdown ``text`` (sanitized once, by
    ``markdown_to_html``)."""
    return _document(title, markdown_to_html(text))
