"""Validation of utterance and speaker ids before they become file names or scp keys.

An id ends up as a Kaldi ``*.scp`` key (no whitespace allowed), as part of a file name
(no path separators, no ``..``, no leading ``.`` or ``-``) and in logs (no control
characters). :func:`validate_id` returns a human-readable problem or ``None``.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ID_BYTES = 255
"""Longest id accepted, in UTF-8 bytes (the usual file-name limit)."""

# Unicode categories rejected: control, format (zero-width...), surrogate, private, unassigned.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Fast path for the common case (plain ASCII ids such as "1089-134686-0000").
_SIMPLE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}\Z")


def validate_id(value: str, kind: str = "utt_id") -> str | None:
    """Check that ``value`` is safe as a Kaldi key and as a file-name component.

    Args:
        value: The id to check.
        kind: What the id is (``"utt_id"``, ``"speaker"``...), used in the message.

    Returns:
        ``None`` when the id is valid, else a message such as
        ``"utt_id '../etc/passwd' contains a path separator '/'"``.
    """
    if not isinstance(value, str):
        return f"{kind} must be a string, got {type(value).__name__}"
    if _SIMPLE_ID.match(value) and ".." not in value:
        return None
    if not value:
        return f"{kind} is empty"
    shown = repr(value if len(value) <= 80 else value[:77] + "...")
    for char in value:
        if char.isspace():
            return f"{kind} {shown} contains whitespace {char!r} (Kaldi keys cannot)"
        if unicodedata.category(char) in _BAD_CATEGORIES:
            return f"{kind} {shown} contains a control or invisible character {char!r}"
        if char in "/\\":
            return f"{kind} {shown} contains a path separator {char!r}"
    if ".." in value:
        return f"{kind} {shown} contains '..'"
    if value[0] in ".-":
        return f"{kind} {shown} starts with {value[0]!r}"
    size = len(value.encode("utf-8"))
    if size > MAX_ID_BYTES:
        return f"{kind} {shown} is {size} bytes long (at most {MAX_ID_BYTES})"
    return None
