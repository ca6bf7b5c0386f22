"""Markdown text that user-supplied strings cannot break: escaped cells, inert links, images and
@mentions, and safe links."""

from __future__ import annotations

import html
import re


def cell_text(text: str) -> str:
    """``text`` safe inside a table cell or a code span: no HTML, no pipes, no backticks (which
    would end the span) and no line breaks."""
    escaped = html.escape(text, quote=False).replace("|", "\\|").replace("`", "'")
    return " ".join(escaped.split())


#: Markdown punctuation that could start a link, an image or an escape of our own escapes
_MARKDOWN_SPECIALS = re.compile(r"([\\\[\]!])")
#: ``@name`` / ``@org/team``: a mention would notify whoever a branch name or error text names
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def escape(text: str) -> str:
    """``text`` safe as Markdown prose or a table cell: no HTML, no pipes, no line breaks, no
    link or image (``[x](javascript:…)``, ``![x](y)``), and no @mention (a zero-width joiner
    after the ``@`` keeps it readable but inert)."""
    cell = cell_text(_MARKDOWN_SPECIALS.sub(r"\\\1", text))
    return _MENTION.sub("@\u200d", cell)


def link(label: str, url: str) -> str:
    """A Markdown link when ``url`` is http(s), else the escaped text (never a javascript: link)."""
    if not url.startswith(("http://", "https://")):
        return escape(url or label)
    safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C")
    return f"[{escape(label)}]({safe})"
