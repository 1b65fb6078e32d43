"""Reading response headers and capped bodies, without a server."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Iterable

import pytest

from switchboard.kernel.net import FetchError, FetchFailureReason
from switchboard.kernel.net.body import read_capped
from switchboard.kernel.net.response_headers import ResponseHeaders


async def chunks_of(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def split(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def test_identity_body_within_the_cap() -> None:
    assert await read_capped(chunks_of([b"ab", b"cd"]), limit=4) == b"abcd"


async def test_identity_body_over_the_cap() -> None:
    with pytest.raises(FetchError) as caught:
        await read_capped(chunks_of([b"ab", b"cde"]), limit=4)
    assert caught.value.reason is FetchFailureReason.TOO_LARGE


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("DEFLATE", lambda data: gzip.compress(data)),  # deflate label, gzip framing
    ],
)
async def test_compressed_bodies(encoding: str, compress: object) -> None:
    body = b"<title>hello</title>" * 100
    packed = compress(body)  # type: ignore[operator]
    assert await read_capped(chunks_of(split(packed)), limit=10_000, content_encoding=encoding) == (
        body
    )
    with pytest.raises(FetchError) as caught:
        await read_capped(chunks_of(split(packed)), limit=1_000, content_encoding=encoding)
    assert caught.value.reason is FetchFailureReason.TOO_LARGE


async def test_one_small_chunk_cannot_inflate_past_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # one ~50 KB chunk
    with pytest.raises(FetchError) as caught:
        await read_capped(chunks_of([bomb]), limit=2 * 1024 * 1024, content_encoding="gzip")
    assert caught.value.reason is FetchFailureReason.TOO_LARGE


async def test_endless_empty_deflate_blocks_count_on_the_wire() -> None:
    """Empty stored blocks inflate to nothing; the bytes received still hit the cap."""
    zlib_header, empty_stored_block = b"\x78\x9c", b"\x00\x00\x00\xff\xff"
    stream = [zlib_header] + [empty_stored_block * 100] * 100
    inflater = zlib.decompressobj()
    assert b"".join(inflater.decompress(part) for part in stream) == b""
    with pytest.raises(FetchError) as caught:
        await read_capped(chunks_of(stream), limit=1_000, content_encoding="deflate")
    assert caught.value.reason is FetchFailureReason.TOO_LARGE


@pytest.mark.parametrize(("encoding", "body"), [("br", b"x"), ("gzip", b"not gzip at all")])
async def test_unreadable_bodies(encoding: str, body: bytes) -> None:
    with pytest.raises(FetchError) as caught:
        await read_capped(chunks_of([body]), limit=100, content_encoding=encoding)
    assert caught.value.reason is FetchFailureReason.UNREADABLE


def headers(*pairs: tuple[str, str]) -> ResponseHeaders:
    return ResponseHeaders([(k.encode(), v.encode("latin-1")) for k, v in pairs])


@pytest.mark.parametrize(
    ("value", "media_type", "charset"),
    [
        ("text/html; charset=UTF-8", "text/html", "utf-8"),
        ('TEXT/HTML;Charset="windows-1251"', "text/html", "windows-1251"),
        ("application/xhtml+xml", "application/xhtml+xml", None),
        ("garbage", "application/octet-stream", None),
        ("text/ html", "application/octet-stream", None),
    ],
)
def test_content_type(value: str, media_type: str, charset: str | None) -> None:
    parsed = headers(("Content-Type", value))
    assert (parsed.media_type, parsed.charset) == (media_type, charset)


def test_missing_content_type_is_not_html() -> None:
    assert headers().media_type == "application/octet-stream"


@pytest.mark.parametrize(
    ("values", "length"),
    [(["1024"], 1024), (["10", "10"], 10), (["10", "20"], None), (["-1"], None), (["1e9"], None)],
)
def test_content_length(values: list[str], length: int | None) -> None:
    assert headers(*[("content-length", v) for v in values]).content_length == length


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        ('attachment; filename="report.pdf"', "report.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\x\\\\evil.exe"', "evil.exe"),
        ("inline", None),
        ('attachment; filename="a\x07b.txt"', "ab.txt"),
    ],
)
def test_attachment_name(disposition: str, name: str | None) -> None:
    assert headers(("Content-Disposition", disposition)).attachment_name == name
