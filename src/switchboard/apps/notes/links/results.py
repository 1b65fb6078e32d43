"""What a preview request ends with: a `LinkPreview`, or a `LinkFailure` saying why not.

Both are plain values (no I/O, no Telegram types) that round-trip through a JSON document, which
is how the cache stores them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from switchboard.kernel import FetchError, FetchFailureReason

__all__ = ["LinkFailure", "LinkKind", "LinkPreview"]


class LinkKind(StrEnum):
    PAGE = "page"  # an HTML page: title, description and site name come from its markup
    FILE = "file"  # anything else: only its name, type and size, its body never downloaded


@dataclass(frozen=True, slots=True)
class LinkPreview:
    url: str  # the normalised link as asked for
    final_url: str  # where the redirects ended
    kind: LinkKind
    content_type: str
    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    file_name: str | None = None
    size: int | None = None  # bytes, when the server said (a file's Content-Length)

    def to_document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> LinkPreview:
        # Keys this version does not know are skipped: a row written by a newer release.
        known = {k: v for k, v in document.items() if k in _PREVIEW_FIELDS}
        return cls(**{**known, "kind": LinkKind(document["kind"])})


_PREVIEW_FIELDS = frozenset(field.name for field in fields(LinkPreview))


@dataclass(frozen=True, slots=True)
class LinkFailure:
    url: str
    reason: FetchFailureReason
    detail: str = ""  # for logs, not for users
    http_status: int | None = None

    @property
    def message(self) -> str:
        """The text to show a user."""
        if self.reason is FetchFailureReason.HTTP_ERROR and self.http_status is not None:
            return f"{self.reason.value} ({self.http_status})"
        return self.reason.value

    @classmethod
    def from_error(cls, url: str, error: FetchError) -> LinkFailure:
        return cls(url, error.reason, error.detail, error.http_status)

    def to_document(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "reason": self.reason.name,
            "detail": self.detail,
            "http_status": self.http_status,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> LinkFailure:
        return cls(
            url=document["url"],
            reason=FetchFailureReason[document["reason"]],
            detail=document.get("detail", ""),
            http_status=document.get("http_status"),
        )
