"""Whether a string is an email address we can send to: `local@domain.tld`, no display name.

Below the settings (which check EMAIL_FROM with it) and the kernel (`switchboard.kernel` exports
it for apps).

Deliberately simple (RFC 5322 allows far more than any user types): one `@`, a local part of
printable characters without spaces, quotes or angle brackets, a domain of dot-separated DNS
labels (IDNA for non-ASCII) with a top-level label. What the mail server thinks is the final
word; this only catches typos before a job is queued.
"""

from __future__ import annotations

import re

_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
MAX_ADDRESS = 254  # RFC 5321's limit on a path, less the angle brackets


def is_email_address(value: str) -> bool:
    if len(value) > MAX_ADDRESS or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )
