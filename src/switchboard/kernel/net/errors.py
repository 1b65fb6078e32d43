"""Why a fetch failed: typed reasons with a short text a user can be shown.

Each reason's value is the English text for users; its name is a stable key for catalogues and
for stored documents (the notes app keeps failures by name). `detail` is for logs only: it may
name resolved addresses, which a user should not learn from our replies. A 304 is not a failure:
it comes back as a `FetchedResource` that is `not_modified`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FetchError", "FetchFailureReason"]


class FetchFailureReason(StrEnum):
    INVALID_LINK = "not a valid link"
    UNSUPPORTED_SCHEME = "refused: only http and https links"
    PRIVATE_ADDRESS = "refused: private address"
    HOST_NOT_FOUND = "host not found"
    CONNECTION_FAILED = "could not connect"
    INSECURE_CONNECTION = "secure connection failed"
    HTTP_ERROR = "the site answered with an error"
    TOO_MANY_REDIRECTS = "too many redirects"
    TOO_LARGE = "too large"
    UNREADABLE = "unreadable page"
    TIMED_OUT = "timed out"


class FetchError(Exception):
    """A URL cannot be fetched, for `reason`; `detail` says more, for logs."""

    def __init__(
        self,
        reason: FetchFailureReason,
        detail: str = "",
        *,
        http_status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.http_status = http_status
        self.retry_after = retry_after  # the answer's Retry-After header, as sent (429, 503)
