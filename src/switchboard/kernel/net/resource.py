"""What a successful fetch gives back: the body read, skipped, or unchanged (a 304).

A 304 is not an error: it is the answer a poller hopes for, so it comes back as a resource that
is `not_modified`, with no body and the validators to keep. A body the caller did not ask for
(a file type it only describes) is skipped, `body_read` false. Text is decoded on first use, by
the charset rules of `charset`, and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote, urlsplit

from .charset import decode_text
from .response_headers import ResponseHeaders, file_name_from
from .validators import Validators

__all__ = ["FetchedResource"]


@dataclass(frozen=True, eq=False)
class FetchedResource:
    final_url: str  # normalised, where the redirects ended
    status: int  # 2xx, or 304 when not modified
    headers: ResponseHeaders
    body: bytes  # decoded from gzip/deflate; b"" when not read or not modified
    body_read: bool
    validators: Validators  # to send next time; after a 304, the ones sent updated by the answer

    @property
    def not_modified(self) -> bool:
        """The server says the version we hold (by our validators) is still current."""
        return self.status == 304

    @property
    def media_type(self) -> str:
        return self.headers.media_type

    @property
    def content_length(self) -> int | None:
        """The size the server declared (a skipped body's size too), when it declared one."""
        return self.headers.content_length

    @property
    def file_name(self) -> str | None:
        """A displayable file name: Content-Disposition's, else the URL path's last segment."""
        path = unquote(urlsplit(self.final_url).path)
        return self.headers.attachment_name or file_name_from(path)

    @cached_property
    def text(self) -> str:
        """The body as text: BOM, header charset, in-document declaration, detection."""
        return decode_text(self.body, self.headers.charset, self.media_type)
