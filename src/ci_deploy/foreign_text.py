"""Text ci-deploy did not write (a platform's error body, a build log) made fit to print.

A hostile or broken API can answer a megabyte of text, an HTML page, many lines, terminal escape
sequences or bidi controls. Whatever of it reaches a person passes through here first:

- :func:`one_line` for a first error line: line breaks folded into blanks, escape sequences
  dropped, other control characters shown as ``\\xNN``, secrets redacted, and at most ``limit``
  characters followed by a visible ``… (N more characters)``;
- :func:`block` for ``details``: the same, keeping line breaks (blank runs folded into one).

Redaction runs before the cut, so a cut never leaves the first half of a secret in view.
"""

from __future__ import annotations

import re

from ci_deploy.redaction import redact

#: the most characters of a platform's own words kept in an error message
FOREIGN_LIMIT = 400
#: the most characters of any error's first line (our words around the platform's)
LINE_LIMIT = 1000
#: the most characters of an error's details (a build log's tail, one line per failed check)
DETAILS_LIMIT = 4000

#: terminal escape sequences: CSI (``ESC [ … final``, colours and cursor moves), OSC (``ESC ] …``
#: up to BEL or ``ESC \``, window titles and links) and the short ``ESC x`` forms (``ESC c`` resets)
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])")
#: C0 and C1 controls and DEL, and the bidi controls that reorder what a reader sees
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BLANK_RUN = re.compile(r"\n{3,}")


def _shown(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _visible(text: str, keep: str = "") -> str:
    return _CONTROL.sub(lambda match: match.group() if match.group() in keep else _shown(match.group()), text)


def clip(text: str, limit: int, *, keep_end: bool = False) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were; ``keep_end``
    keeps the last ones instead (a traceback's innermost frames)."""
    if len(text) <= limit:
        return text
    if keep_end:
        return f"({len(text) - limit} earlier characters) …{text[-limit:].lstrip()}"
    return f"{text[:limit].rstrip()}… ({len(text) - limit} more characters)"


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """``text`` as one redacted line of at most ``limit`` characters (plus the cut marker)."""
    folded = " ".join(_ESCAPE_SEQUENCE.sub("", redact(text)).split())
    return clip(redact(_visible(folded)), limit)


def block(text: str, limit: int = DETAILS_LIMIT, *, keep_end: bool = False) -> str:
    """``text`` as redacted lines (tabs kept) of at most ``limit`` characters in all."""
    lines = [
        _visible(line.rstrip(), keep="\t") for line in _ESCAPE_SEQUENCE.sub("", redact(text)).splitlines()
    ]
    return clip(redact(_BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")), limit, keep_end=keep_end)
