"""Fetching a URL from the outside world the safe way: GET, redirects by hand, every hop guarded.

Each hop resolves its host once through the `AddressGuard` and pins the answer in the
connection backend, so the address checked is the address connected to. Redirects are followed
here, never by the HTTP client, so each `Location` is checked for scheme and address like the
first URL. One deadline covers everything (DNS, connects, TLS, redirects, body), and the body is
read up to a byte cap. A caller that only wants some media types' bodies (a link preview reads
HTML and only describes files) names them: for others the headers are enough, and the body is
left unread (the connection is dropped, not drained). With validators from an earlier fetch the
request is conditional, and a 304 comes back as a resource that is `not_modified`.

httpcore is used directly rather than httpx: it takes a network backend, it never reads proxy
settings from the environment (a proxy would resolve names itself, past the guard), and it has
no redirect, cookie or retry behaviour of its own to switch off.

    fetcher = GuardedFetcher.create(allow_private_addresses=False)
    resource = await fetcher.fetch(parse_link(url), validators=stored, accept=FEED_TYPES)
    if resource.not_modified:
        return  # nothing new; keep `resource.validators`
    parse(resource.text)
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Collection
from dataclasses import dataclass

import httpcore
import httpx

from switchboard.kernel.open_writes import check_no_open_write

from .body import read_capped
from .errors import FetchError, FetchFailureReason
from .guard import AddressGuard, AddressPolicy, Resolver, system_resolver
from .pinning import PinnedNetworkBackend
from .resource import FetchedResource
from .response_headers import ResponseHeaders
from .urls import ALLOWED_SCHEMES, follow_location, host_of, normalised, port_of
from .validators import Validators

__all__ = ["DEFAULT_USER_AGENT", "FetchLimits", "GuardedFetcher"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; Switchboard/1.0)"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_redirects: int = 5
    max_bytes: int = 2 * 1024 * 1024
    deadline: float = 10.0  # seconds, for the whole fetch


class GuardedFetcher:
    """Fetches one URL at a time within `limits`; failures are `FetchError`s."""

    def __init__(
        self,
        guard: AddressGuard,
        limits: FetchLimits | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self.guard = guard
        self.limits = limits or FetchLimits()
        self.user_agent = user_agent
        # One context (loading the CA bundle takes a while); it verifies certificates.
        self._ssl_context = ssl_context or httpcore.default_ssl_context()

    @classmethod
    def create(
        cls,
        *,
        allow_private_addresses: bool = False,
        limits: FetchLimits | None = None,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> GuardedFetcher:
        """A fetcher with the default address policy; only `allow_private_addresses` varies."""
        policy = AddressPolicy(allow_private_addresses=allow_private_addresses)
        return cls(
            AddressGuard(policy, resolver), limits, ssl_context=ssl_context, user_agent=user_agent
        )

    async def fetch(
        self,
        url: httpx.URL,
        *,
        validators: Validators | None = None,
        accept: str = "*/*",
        body_media_types: Collection[str] | None = None,
    ) -> FetchedResource:
        """Fetch `url` (as `urls.parse_link` returns it).

        `validators` from an earlier fetch make the request conditional (sent on every hop: the
        validators belong to where the redirects end). `accept` is the Accept header.
        `body_media_types`, when given, are the only media types whose body is read.
        """
        check_no_open_write("http_fetch")
        backend = PinnedNetworkBackend()
        try:
            async with asyncio.timeout(self.limits.deadline):
                async with httpcore.AsyncConnectionPool(
                    ssl_context=self._ssl_context,
                    network_backend=backend,
                    retries=0,
                ) as pool:
                    request = _Request(validators or Validators(), accept, body_media_types)
                    return await self._follow(pool, backend, url, request)
        except TimeoutError:
            raise FetchError(
                FetchFailureReason.TIMED_OUT, f"over {self.limits.deadline} s"
            ) from None
        except httpcore.TimeoutException as error:
            raise FetchError(FetchFailureReason.TIMED_OUT, repr(error)) from None
        except httpcore.ConnectError as error:
            reason = (
                FetchFailureReason.INSECURE_CONNECTION
                if _from_tls(error)
                else FetchFailureReason.CONNECTION_FAILED
            )
            raise FetchError(reason, str(error)) from None
        except (
            httpcore.NetworkError,
            httpcore.ProtocolError,
            httpcore.UnsupportedProtocol,
        ) as error:
            raise FetchError(FetchFailureReason.CONNECTION_FAILED, repr(error)) from None

    async def _follow(
        self,
        pool: httpcore.AsyncConnectionPool,
        backend: PinnedNetworkBackend,
        url: httpx.URL,
        request: _Request,
    ) -> FetchedResource:
        for _hop in range(self.limits.max_redirects + 1):
            host, port = host_of(url), port_of(url)
            backend.pin(host, port, await self.guard.checked_addresses(host, port))
            async with pool.stream(
                "GET", _core_url(url), headers=self._request_headers(url, request)
            ) as response:
                headers = ResponseHeaders(response.headers)
                if response.status in REDIRECT_STATUSES:
                    location = headers.get("location")
                    if not location:
                        raise FetchError(
                            FetchFailureReason.HTTP_ERROR,
                            "redirect without Location",
                            http_status=response.status,
                        )
                    url = follow_location(url, location)
                    continue
                if response.status == 304 and request.validators:
                    return FetchedResource(
                        final_url=normalised(url),
                        status=304,
                        headers=headers,
                        body=b"",
                        body_read=False,
                        validators=request.validators.updated_by(Validators.of(headers)),
                    )
                if not 200 <= response.status < 300:  # a 304 we did not ask for, too
                    raise FetchError(
                        FetchFailureReason.HTTP_ERROR,
                        f"status {response.status}",
                        http_status=response.status,
                        retry_after=headers.get("retry-after"),
                    )
                return await self._resource(url, headers, response, request)
        raise FetchError(
            FetchFailureReason.TOO_MANY_REDIRECTS, f"more than {self.limits.max_redirects}"
        )

    async def _resource(
        self,
        url: httpx.URL,
        headers: ResponseHeaders,
        response: httpcore.Response,
        request: _Request,
    ) -> FetchedResource:
        wanted = request.body_media_types
        read = wanted is None or headers.media_type in wanted
        body = b""
        if read:
            declared = headers.content_length
            if declared is not None and declared > self.limits.max_bytes:
                raise FetchError(FetchFailureReason.TOO_LARGE, f"Content-Length {declared}")
            body = await read_capped(
                response.aiter_stream(),
                limit=self.limits.max_bytes,
                content_encoding=headers.get("content-encoding"),
            )
        return FetchedResource(
            final_url=normalised(url),
            status=response.status,
            headers=headers,
            body=body,
            body_read=read,
            validators=Validators.of(headers),
        )

    def _request_headers(self, url: httpx.URL, request: _Request) -> list[tuple[bytes, bytes]]:
        host = host_of(url)
        if ":" in host:
            host = f"[{host}]"  # httpcore's own Host header leaves IPv6 literals unbracketed
        if port_of(url) != ALLOWED_SCHEMES[url.scheme]:
            host = f"{host}:{port_of(url)}"
        return [
            (b"Host", host.encode("ascii")),
            (b"User-Agent", self.user_agent.encode("ascii")),
            (b"Accept", request.accept.encode("ascii")),
            (b"Accept-Encoding", b"gzip, deflate"),
            *request.validators.request_headers(),
        ]


@dataclass(frozen=True, slots=True)
class _Request:
    """What one `fetch` call asked for, carried through its redirects."""

    validators: Validators
    accept: str
    body_media_types: Collection[str] | None


def _from_tls(error: httpcore.ConnectError) -> bool:
    """Whether TLS failed (a certificate, mostly): httpcore wraps the `ssl.SSLError`."""
    wrapped = [*error.args, error.__cause__, error.__context__]
    return any(isinstance(inner, ssl.SSLError) for inner in wrapped)


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=port_of(url), target=url.raw_path
    )
