"""Reading a response body with a hard cap, compressed or not.

Reading stops at the first chunk past the cap and the caller drops the connection, so a server
streaming a gigabyte costs us the cap and a few socket buffers, not a gigabyte. A gzip or
deflate body is inflated chunk by chunk with zlib's `max_length`, so a small "zip bomb" cannot
make one chunk expand past the cap either.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable

from .errors import FetchError, FetchFailureReason

__all__ = ["read_capped"]

_ZLIB_WINDOWS = {
    "gzip": zlib.MAX_WBITS | 16,
    "x-gzip": zlib.MAX_WBITS | 16,
    "deflate": zlib.MAX_WBITS | 32,  # zlib or gzip framing, detected from the header
}


async def read_capped(
    chunks: AsyncIterable[bytes], *, limit: int, content_encoding: str | None = None
) -> bytes:
    """The whole body, decoded, if it is at most `limit` bytes; else `FetchError(TOO_LARGE)`."""
    inflater = _inflater(content_encoding)
    parts: list[bytes] = []
    size = received = 0  # decoded bytes kept, bytes off the wire
    try:
        async for chunk in chunks:
            received += len(chunk)
            data = chunk if inflater is None else inflater.decompress(chunk, limit - size + 1)
            size += len(data)
            # Wire bytes count too: endless empty deflate blocks inflate to nothing.
            if size > limit or received > limit:
                raise FetchError(FetchFailureReason.TOO_LARGE, f"body over {limit} bytes")
            parts.append(data)
        if inflater is not None:
            data = inflater.flush()
            size += len(data)
            if size > limit:
                raise FetchError(FetchFailureReason.TOO_LARGE, f"body over {limit} bytes")
            parts.append(data)
    except zlib.error as error:
        raise FetchError(
            FetchFailureReason.UNREADABLE, f"corrupt {content_encoding}: {error}"
        ) from None
    return b"".join(parts)


def _inflater(content_encoding: str | None) -> zlib._Decompress | None:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return None
    window = _ZLIB_WINDOWS.get(encoding)
    if window is None:
        raise FetchError(FetchFailureReason.UNREADABLE, f"content encoding {encoding!r}")
    return zlib.decompressobj(window)
