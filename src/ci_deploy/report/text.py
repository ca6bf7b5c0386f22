"""Markdown text that user-supplied strings cannot break: escaped cells and safe links."""

from __future__ import annotations

import html


def escape(text: str) -> str:
    """``text`` safe inside a Markdown table cell or line: no HTML, no pipes, no line breaks."""
    escaped = html.escape(text, quote=False).replace("|", "\\|").replace("`", "'")
    return " ".join(escaped.split())


def link(label: str, url: str) -> str:
    """A Markdown link when ``url`` is http(s), else the escaped text (never a javascript: link)."""
    if not url.startswith(("http://", "https://")):
        return escape(url or label)
    safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C")
    return f"[{escape(label)}]({safe})"
