"""Outside text made safe to show: no markup, no terminal control sequences."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and C1 controls (ESC sequences start here).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """The text with control characters shown as visible escapes."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def one_line(text: object, width: int | None = None) -> str:
    """Plain text folded onto one line, cut to width with an ellipsis."""
    flat = " ".join(plain(text).split())
    if width is not None and len(flat) > width:
        return flat[: max(0, width - 1)] + "…"
    return flat
