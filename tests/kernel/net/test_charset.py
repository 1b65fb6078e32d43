"""Charsets: BOM, then the header, then the document's own declaration, then detection; a
wrong or hostile label never crashes and never wins."""

from __future__ import annotations

import codecs

import pytest

from switchboard.kernel.net import FetchedResource, GuardedFetcher, decode_text, parse_link
from switchboard.kernel.net.charset import encoding_for_label

from .conftest import CP1251_TEXT, KOI8_TEXT, UTF16_TEXT, LocalSite


async def text_of(fetcher: GuardedFetcher, site: LocalSite, path: str) -> str:
    resource: FetchedResource = await fetcher.fetch(parse_link(site.url(path)))
    return resource.text


# Over HTTP, from the local site.


async def test_cp1251_page_declared_only_in_a_meta_tag(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    assert CP1251_TEXT in await text_of(fetcher, site, "/charset/cp1251-meta-only")


async def test_utf16_with_a_bom_wins_over_the_header(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    assert await text_of(fetcher, site, "/charset/utf16-bom") == UTF16_TEXT


async def test_header_charset(fetcher: GuardedFetcher, site: LocalSite) -> None:
    assert await text_of(fetcher, site, "/charset/header-koi8") == KOI8_TEXT


async def test_unknown_header_label_falls_back_to_utf8(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    assert await text_of(fetcher, site, "/charset/wrong-label") == f"<p>{CP1251_TEXT}</p>"


async def test_unknown_header_label_falls_back_to_the_meta_tag(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    assert CP1251_TEXT in await text_of(fetcher, site, "/charset/wrong-label-then-meta")


async def test_a_codec_that_is_no_charset_is_ignored(
    fetcher: GuardedFetcher, site: LocalSite
) -> None:
    assert await text_of(fetcher, site, "/charset/not-a-charset") == f"<p>{CP1251_TEXT}</p>"


async def test_xml_declaration_of_a_feed(fetcher: GuardedFetcher, site: LocalSite) -> None:
    assert CP1251_TEXT in await text_of(fetcher, site, "/charset/xml-declaration")


async def test_undeclared_cp1251_is_detected(fetcher: GuardedFetcher, site: LocalSite) -> None:
    assert CP1251_TEXT in await text_of(fetcher, site, "/charset/undeclared-cp1251")


# The rules, on bytes.

RUSSIAN = "Привет"


@pytest.mark.parametrize(
    ("body", "header", "media_type", "expected"),
    [
        (RUSSIAN.encode("cp1251"), "windows-1251", "", RUSSIAN),
        (RUSSIAN.encode("koi8-r"), "KOI8-R", "", RUSSIAN),
        (codecs.BOM_UTF8 + RUSSIAN.encode(), "windows-1251", "", RUSSIAN),  # BOM wins
        (codecs.BOM_UTF16_LE + RUSSIAN.encode("utf-16-le"), None, "", RUSSIAN),
        (codecs.BOM_UTF16_BE + RUSSIAN.encode("utf-16-be"), "utf-8", "", RUSSIAN),
        (RUSSIAN.encode(), None, "", RUSSIAN),  # valid UTF-8
        ("café €".encode("cp1252"), "iso-8859-1", "", "café €"),  # latin-1 read as browsers do
        (RUSSIAN.encode(), "no-such-charset", "", RUSSIAN),
        (RUSSIAN.encode(), '"utf-8"', "", RUSSIAN),  # quoted label
        (RUSSIAN.encode(), "utf\x00-8", "", RUSSIAN),  # NUL in the label
        (b"+ADw-script+AD4-", "utf-7", "", "+ADw-script+AD4-"),  # UTF-7 is never decoded
        (b"\\u0041", "unicode-escape", "", "\\u0041"),  # nor are Python's escape codecs
        (b"plain", "base64", "", "plain"),
        (b'<meta charset="utf-16"><p>x', None, "text/html", '<meta charset="utf-16"><p>x'),
        (
            b'<?xml version="1.0" encoding="koi8-r"?><t>' + RUSSIAN.encode("koi8-r") + b"</t>",
            None,
            "application/atom+xml",
            f'<?xml version="1.0" encoding="koi8-r"?><t>{RUSSIAN}</t>',
        ),
        (  # served as octet-stream, still an XML document
            b"<?xml version='1.0' encoding='windows-1251'?><t>"
            + RUSSIAN.encode("cp1251")
            + b"</t>",
            None,
            "application/octet-stream",
            f"<?xml version='1.0' encoding='windows-1251'?><t>{RUSSIAN}</t>",
        ),
        (b"", None, "", ""),
    ],
)
def test_decode_text(body: bytes, header: str | None, media_type: str, expected: str) -> None:
    assert decode_text(body, header, media_type) == expected


def test_meta_is_read_only_in_html() -> None:
    """A text file that quotes a <meta> tag is not declaring its own charset."""
    body = b'<meta charset="koi8-r"> ' + "é".encode()
    assert decode_text(body, None, "text/plain").endswith("é")
    assert decode_text(body, None, "text/html").endswith("é".encode().decode("koi8-r"))


def test_http_equiv_declaration() -> None:
    body = b'<meta http-equiv="content-type" content="text/html; charset=koi8-r">'
    assert decode_text(body + RUSSIAN.encode("koi8-r"), None, "text/html").endswith(RUSSIAN)


def test_western_text_without_a_declaration() -> None:
    text = "Le café du matin: un résumé très naïf de la journée, à lire avant midi."
    assert decode_text(text.encode("cp1252"), None, "text/plain") == text


def test_undecodable_bytes_become_replacement_characters() -> None:
    assert decode_text(b"ok \xff\xfe\xfd", "utf-8") == "ok \ufffd\ufffd\ufffd"
    assert decode_text(b"\xff", "utf-16-le") == "\ufffd"  # half a code unit


@pytest.mark.parametrize(
    "label", ["base64", "rot13", "zlib", "utf-7", "idna", "undefined", "punycode", "", None]
)
def test_codecs_that_are_not_charsets(label: str | None) -> None:
    assert encoding_for_label(label) is None


@pytest.mark.parametrize(
    ("label", "encoding"),
    [("UTF-8", "utf-8"), ("latin1", "cp1252"), ("US-ASCII", "cp1252"), ("cp1251", "cp1251")],
)
def test_labels(label: str, encoding: str) -> None:
    assert encoding_for_label(label) == encoding
