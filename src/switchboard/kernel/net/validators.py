"""Validators: what a server said identifies this version of a resource (ETag, Last-Modified).

A poller keeps them with what it made of the body (a feed's items, a calendar's events) and
passes them to the next fetch, which sends them as If-None-Match / If-Modified-Since; a server
whose resource has not changed answers 304 with no body (RFC 9110 §13). They are kept exactly as
received, opaque: a server compares an ETag byte for byte, and an If-Modified-Since that echoes
its own Last-Modified is the one it is sure to understand. A value that could not have come from
a well-formed header (a line break, a control character, a date that is no date) is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeGuard

from .response_headers import ResponseHeaders

__all__ = ["Validators"]

_MAX_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return self.etag is not None or self.last_modified is not None

    @classmethod
    def of(cls, headers: ResponseHeaders) -> Validators:
        """The validators a response carries (none when it carries none)."""
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        return cls(
            etag=etag if _sendable_etag(etag) else None,
            last_modified=last_modified if _sendable_date(last_modified) else None,
        )

    def updated_by(self, newer: Validators) -> Validators:
        """`newer`'s values, and ours where it has none: a 304 need not repeat Last-Modified."""
        return Validators(
            etag=newer.etag if newer.etag is not None else self.etag,
            last_modified=(
                newer.last_modified if newer.last_modified is not None else self.last_modified
            ),
        )

    def request_headers(self) -> list[tuple[bytes, bytes]]:
        """If-None-Match and If-Modified-Since for what we have; nothing for unusable values."""
        headers: list[tuple[bytes, bytes]] = []
        if _sendable_etag(self.etag):
            headers.append((b"If-None-Match", self.etag.encode("ascii")))
        if _sendable_date(self.last_modified):
            headers.append((b"If-Modified-Since", self.last_modified.encode("ascii")))
        return headers


def _sendable(value: str | None) -> TypeGuard[str]:
    return (
        value is not None
        and 0 < len(value) <= _MAX_LENGTH
        and value.isascii()
        and all(" " <= ch <= "~" for ch in value)  # visible ASCII and spaces: no CR, LF or NUL
    )


def _sendable_etag(value: str | None) -> TypeGuard[str]:
    return _sendable(value)


def _sendable_date(value: str | None) -> TypeGuard[str]:
    if not _sendable(value):
        return False
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True
