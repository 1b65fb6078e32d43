"""Fetching a link the safe way: GET, redirects by hand, every hop through the guard.

Each hop resolves its host once through the `AddressGuard` and pins the answer in the
connection backend, so the address checked is the address connected to. Redirects are followed
here, never by the HTTP client, so each `Location` is checked for scheme and address like the
first link. One deadline covers everything (DNS, connects, TLS, redirects, body). Only HTML is
read, up to the byte cap; for anything else the headers are enough and the body is left unread
(the connection is dropped, not drained).

httpcore is used directly rather than httpx: it takes a network backend, it never reads proxy
settings from the environment (a proxy would resolve names itself, past the guard), and it has
no redirect, cookie or retry behaviour of its own to switch off.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import unquote

import httpcore
import httpx

from .body import read_capped
from .charset import decode_html
from .errors import LinkError, LinkFailureReason
from .guard import AddressGuard
from .pinning import PinnedNetworkBackend
from .response_headers import ResponseHeaders, file_name_from
from .urls import ALLOWED_SCHEMES, follow_location, host_of, normalised, port_of

__all__ = [
    "HTML_MEDIA_TYPES",
    "FetchLimits",
    "FetchedDocument",
    "FetchedFile",
    "FetchedPage",
    "LinkFetcher",
]

HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Mozilla/5.0 (compatible; SwitchboardLinkPreview/1.0)"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_redirects: int = 5
    max_bytes: int = 2 * 1024 * 1024
    deadline: float = 10.0  # seconds, for the whole fetch


@dataclass(frozen=True, slots=True)
class FetchedPage:
    final_url: str
    media_type: str
    html: str


@dataclass(frozen=True, slots=True)
class FetchedFile:
    final_url: str
    media_type: str
    size: int | None
    file_name: str | None


FetchedDocument = FetchedPage | FetchedFile


class LinkFetcher:
    """Fetches one link at a time within `limits`; failures are `LinkError`s."""

    def __init__(
        self,
        guard: AddressGuard,
        limits: FetchLimits | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = guard
        self.limits = limits or FetchLimits()
        # One context (loading the CA bundle takes a while); it verifies certificates.
        self._ssl_context = ssl_context or httpcore.default_ssl_context()

    async def fetch(self, url: httpx.URL) -> FetchedDocument:
        """Fetch `url` (as `urls.parse_link` returns it)."""
        backend = PinnedNetworkBackend()
        try:
            async with asyncio.timeout(self.limits.deadline):
                async with httpcore.AsyncConnectionPool(
                    ssl_context=self._ssl_context,
                    network_backend=backend,
                    retries=0,
                ) as pool:
                    return await self._follow(pool, backend, url)
        except TimeoutError:
            raise LinkError(LinkFailureReason.TIMED_OUT, f"over {self.limits.deadline} s") from None
        except httpcore.TimeoutException as error:
            raise LinkError(LinkFailureReason.TIMED_OUT, repr(error)) from None
        except httpcore.ConnectError as error:
            reason = (
                LinkFailureReason.INSECURE_CONNECTION
                if _from_tls(error)
                else LinkFailureReason.CONNECTION_FAILED
            )
            raise LinkError(reason, str(error)) from None
        except (
            httpcore.NetworkError,
            httpcore.ProtocolError,
            httpcore.UnsupportedProtocol,
        ) as error:
            raise LinkError(LinkFailureReason.CONNECTION_FAILED, repr(error)) from None

    async def _follow(
        self, pool: httpcore.AsyncConnectionPool, backend: PinnedNetworkBackend, url: httpx.URL
    ) -> FetchedDocument:
        for _hop in range(self.limits.max_redirects + 1):
            host, port = host_of(url), port_of(url)
            backend.pin(host, port, await self.guard.checked_addresses(host, port))
            async with pool.stream(
                "GET", _core_url(url), headers=_request_headers(url)
            ) as response:
                headers = ResponseHeaders(response.headers)
                if response.status in REDIRECT_STATUSES:
                    location = headers.get("location")
                    if not location:
                        raise LinkError(
                            LinkFailureReason.HTTP_ERROR,
                            "redirect without Location",
                            http_status=response.status,
                        )
                    url = follow_location(url, location)
                    continue
                if not 200 <= response.status < 300:
                    raise LinkError(
                        LinkFailureReason.HTTP_ERROR,
                        f"status {response.status}",
                        http_status=response.status,
                    )
                return await self._document(url, headers, response)
        raise LinkError(
            LinkFailureReason.TOO_MANY_REDIRECTS, f"more than {self.limits.max_redirects}"
        )

    async def _document(
        self, url: httpx.URL, headers: ResponseHeaders, response: httpcore.Response
    ) -> FetchedDocument:
        media_type = headers.media_type
        if media_type not in HTML_MEDIA_TYPES:
            return FetchedFile(
                final_url=normalised(url),
                media_type=media_type,
                size=headers.content_length,
                file_name=headers.attachment_name or file_name_from(unquote(url.path)),
            )
        declared = headers.content_length
        if declared is not None and declared > self.limits.max_bytes:
            raise LinkError(LinkFailureReason.TOO_LARGE, f"Content-Length {declared}")
        body = await read_capped(
            response.aiter_stream(),
            limit=self.limits.max_bytes,
            content_encoding=headers.get("content-encoding"),
        )
        return FetchedPage(normalised(url), media_type, decode_html(body, headers.charset))


def _from_tls(error: httpcore.ConnectError) -> bool:
    """Whether TLS failed (a certificate, mostly): httpcore wraps the `ssl.SSLError`."""
    wrapped = [*error.args, error.__cause__, error.__context__]
    return any(isinstance(inner, ssl.SSLError) for inner in wrapped)


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=port_of(url), target=url.raw_path
    )


def _request_headers(url: httpx.URL) -> list[tuple[bytes, bytes]]:
    host = host_of(url)
    if ":" in host:
        host = f"[{host}]"  # httpcore's own Host header leaves IPv6 literals unbracketed
    if port_of(url) != ALLOWED_SCHEMES[url.scheme]:
        host = f"{host}:{port_of(url)}"
    return [
        (b"Host", host.encode("ascii")),
        (b"User-Agent", USER_AGENT.encode("ascii")),
        (b"Accept", b"text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"),
        (b"Accept-Encoding", b"gzip, deflate"),
    ]
