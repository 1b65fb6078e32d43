"""The user's CalDAV server, reached through the `caldav` library under the kernel's address
rules.

The server URL is the user's to choose, so it gets the guarded fetcher's treatment: before any
request the host is resolved and every address checked with the kernel's `AddressGuard`
(private, loopback, link-local and the like are refused unless the deployment's
`AddressPolicy` allows them), and the HTTP session is pinned to the addresses checked with an
in-memory resolver that knows that one host only: a redirect or an href naming another host
cannot be resolved, and a DNS answer that changes after the check is never asked for. Proxies
from the environment are not used.

The library is synchronous: `CaldavLink`'s methods block and are called through
`asyncio.to_thread`, never inside a database transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

import niquests
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.lib import error as dav_error
from caldav.lib.url import URL

from switchboard.kernel import AddressGuard, AddressPolicy, FetchError, FetchFailureReason

__all__ = [
    "CaldavError",
    "CaldavLink",
    "Failure",
    "Fetched",
    "FoundCalendar",
    "href_key",
    "open_link",
    "resource_name",
]

TIMEOUT = 15
MAX_RESOURCES = 20_000  # events (series) in one calendar: more is refused, not half-synced
MULTIGET_BATCH = 100
_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"
_PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    "<d:getetag/><d:resourcetype/><d:displayname/></d:prop></d:propfind>"
)
_ICS = {"Content-Type": "text/calendar; charset=utf-8"}


class Failure(StrEnum):
    """Why the server could not be used; each has a text for the user
    (`calendar.caldav.failure.<value>`)."""

    BAD_URL = "bad_url"
    REFUSED = "refused"  # a private address the deployment does not allow
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    NOT_CALDAV = "not_caldav"
    NO_CALENDARS = "no_calendars"
    TOO_LARGE = "too_large"


class CaldavError(Exception):
    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(f"{failure.value}: {detail}" if detail else failure.value)
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True)
class FoundCalendar:
    url: str
    name: str


@dataclass(frozen=True)
class Fetched:
    href: str
    text: str
    etag: str | None


def href_key(url: str) -> str:
    """What identifies a resource whatever its spelling: its decoded path."""
    return unquote(urlsplit(url).path)


def resource_name(uid: str) -> str:
    """The file name a new event is PUT as: `<uid>.ics`, made safe for a URL path."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", uid)[:120]
    if safe != uid:
        safe += "-" + hashlib.sha256(uid.encode()).hexdigest()[:10]
    return f"{safe}.ics"


def _failure_of(error: BaseException) -> CaldavError:
    if isinstance(error, CaldavError):
        return error
    if isinstance(error, dav_error.AuthorizationError):
        return CaldavError(Failure.AUTH, str(error))
    if isinstance(error, (niquests.exceptions.RequestException, OSError, TimeoutError)):
        return CaldavError(Failure.UNREACHABLE, type(error).__name__)
    return CaldavError(Failure.NOT_CALDAV, f"{type(error).__name__}: {error}")


class CaldavLink:
    """One account on one server; blocking calls (run them in a thread)."""

    def __init__(self, client: DAVClient, url: str) -> None:
        self.client = client
        self.url = url

    def _request(
        self, url: str, method: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Any:
        try:
            return self.client.request(url, method, body, headers or {})
        except Exception as error:  # the library's and niquests' errors, told apart below
            raise _failure_of(error) from None

    def _propfind(self, url: str, depth: int) -> dict[str, dict[str, Any]]:
        try:
            response = self.client.propfind(url, _PROPFIND, depth=depth)
        except Exception as error:
            raise _failure_of(error) from None
        if response.status == 404:
            raise CaldavError(Failure.NOT_CALDAV, f"{url}: not found")
        if response.status != 207:
            raise CaldavError(Failure.NOT_CALDAV, f"{url}: HTTP {response.status}")
        try:
            found: dict[str, dict[str, Any]] = response.expand_simple_props(
                [dav.GetEtag(), dav.DisplayName()], [dav.ResourceType()]
            )
        except Exception as error:
            raise CaldavError(Failure.NOT_CALDAV, f"unreadable answer: {error}") from None
        return found

    def describe(self, url: str) -> FoundCalendar | None:
        """The calendar at `url`, or None when `url` is a collection of another kind."""
        for props in self._propfind(url, 0).values():  # one answer: the URL's own
            if _CALENDAR in (props.get("{DAV:}resourcetype") or []):
                name = props.get("{DAV:}displayname") or _last_segment(url)
                return FoundCalendar(url, str(name))
            return None
        return None

    def calendars(self) -> list[FoundCalendar]:
        """The calendars of the account the URL belongs to (its principal's home)."""
        try:
            found = self.client.principal().calendars()  # type: ignore[no-untyped-call]
            calendars = [
                FoundCalendar(
                    str(each.url), str(each.get_display_name() or _last_segment(str(each.url)))
                )
                for each in found
            ]
        except Exception as error:
            raise _failure_of(error) from None
        return calendars

    def listing(self, calendar_url: str) -> dict[str, tuple[str, str]]:
        """The calendar's resources: {href key: (absolute URL, ETag)}."""
        listed: dict[str, tuple[str, str]] = {}
        own = href_key(calendar_url)
        for href, props in self._propfind(calendar_url, 1).items():
            absolute = urljoin(calendar_url, href)
            key = href_key(absolute)
            if key == own or _CALENDAR in (props.get("{DAV:}resourcetype") or []):
                continue
            if (props.get("{DAV:}resourcetype") or []) and not key.endswith(".ics"):
                continue  # a sub-collection
            listed[key] = (absolute, str(props.get("{DAV:}getetag") or ""))
        if len(listed) > MAX_RESOURCES:
            raise CaldavError(Failure.TOO_LARGE, f"{len(listed)} resources")
        return listed

    def sync_token(self, calendar_url: str) -> str | None:
        """The calendar's current sync-token (RFC 6578), or None if it has none."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
            "<d:sync-token/></d:prop></d:propfind>"
        )
        try:
            response = self.client.propfind(calendar_url, body, depth=0)
            if response.status != 207:
                return None
            found = response.expand_simple_props([dav.SyncToken()])
        except dav_error.AuthorizationError as error:
            raise _failure_of(error) from None
        except Exception:
            return None
        for props in found.values():
            token = props.get("{DAV:}sync-token")
            return str(token) if token else None
        return None

    def changes_since(
        self, calendar_url: str, token: str
    ) -> tuple[dict[str, tuple[str, str]], set[str], str] | None:
        """What changed since `token`: ({href key: (URL, ETag)}, {deleted href keys}, the new
        token); None when the server cannot say (no support, an expired token, a truncated
        answer): then the full listing is read."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">'
            f"<d:sync-token>{escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
            "<d:prop><d:getetag/></d:prop></d:sync-collection>"
        )
        try:
            response = self.client.report(calendar_url, body, depth=0)
            if response.status != 207:
                return None
            result = response.parse_sync_collection()
        except Exception:  # the server cannot say (an expired token is a 403): the full
            return None  # listing is read instead, and tells a wrong password apart
        if result.truncated or not result.sync_token:
            return None
        own = href_key(calendar_url)
        changed: dict[str, tuple[str, str]] = {}
        for item in result.changed:
            absolute = urljoin(calendar_url, item.href)
            if href_key(absolute) != own and item.etag:
                changed[href_key(absolute)] = (absolute, str(item.etag))
        deleted = {href_key(urljoin(calendar_url, href)) for href in result.deleted}
        return changed, deleted, str(result.sync_token)

    def get(self, url: str) -> Fetched | None:
        """The resource at `url`, or None if it is gone."""
        response = self._request(url, "GET", headers={"Accept": "text/calendar"})
        if response.status == 404:
            return None
        if response.status != 200:
            raise CaldavError(Failure.NOT_CALDAV, f"GET {url}: HTTP {response.status}")
        raw = response._raw if isinstance(response._raw, bytes) else str(response._raw).encode()
        return Fetched(url, raw.decode("utf-8", errors="replace"), response.headers.get("ETag"))

    def get_many(self, calendar_url: str, urls: list[str]) -> dict[str, Fetched | None]:
        """The resources at `urls` by href key (None: gone), a calendar-multiget REPORT per
        batch; one GET each where the server cannot answer that report."""
        found: dict[str, Fetched | None] = {}
        calendar = self.client.calendar(url=calendar_url)  # type: ignore[no-untyped-call]
        for start in range(0, len(urls), MULTIGET_BATCH):
            batch = urls[start : start + MULTIGET_BATCH]
            try:
                results = calendar._multiget([URL.objectify(url) for url in batch])
            except dav_error.AuthorizationError as error:
                raise _failure_of(error) from None
            except Exception:  # no multiget here: one GET each
                results = None
            if results is None:
                for url in batch:
                    found[href_key(url)] = self.get(url)
                continue
            for key in (href_key(url) for url in batch):
                found[key] = None
            for href, data, tags in results:
                absolute = urljoin(calendar_url, str(href))
                if data:
                    etag = (tags or {}).get("{DAV:}getetag")
                    found[href_key(absolute)] = Fetched(absolute, str(data), etag)
        return found

    def put(self, url: str, body: str, etag: str | None) -> str | bool | None:
        """Write `body` at `url`: over the resource with `etag` (If-Match), or as a new one
        (If-None-Match: *). The new ETag ("" when the server gives none), or False when the
        precondition failed (someone else changed or made the resource: 412)."""
        headers = dict(_ICS)
        if etag:
            headers["If-Match"] = etag
        else:
            headers["If-None-Match"] = "*"
        response = self._request(url, "PUT", body, headers)
        if response.status == 412:
            return False
        if response.status not in (200, 201, 204):
            raise CaldavError(Failure.NOT_CALDAV, f"PUT {url}: HTTP {response.status}")
        return str(response.headers.get("ETag") or "")

    def delete(self, url: str, etag: str | None) -> bool:
        """Delete the resource if it is still the one with `etag`; False on 412."""
        headers = {"If-Match": etag} if etag else {}
        response = self._request(url, "DELETE", headers=headers)
        if response.status == 412:
            return False
        if response.status not in (200, 204, 404):
            raise CaldavError(Failure.NOT_CALDAV, f"DELETE {url}: HTTP {response.status}")
        return True

    def etag_of(self, url: str) -> str:
        for _href, props in self._propfind(url, 0).items():
            return str(props.get("{DAV:}getetag") or "")
        return ""

    def close(self) -> None:
        self.client.close()


def _last_segment(url: str) -> str:
    parts = [part for part in urlsplit(url).path.split("/") if part]
    return unquote(parts[-1]) if parts else url


async def open_link(url: str, username: str, password: str, policy: AddressPolicy) -> CaldavLink:
    """A link to the server at `url` once its host passed the address rules; no request is
    made yet."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CaldavError(Failure.BAD_URL, url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise CaldavError(Failure.BAD_URL, url) from None
    if parts.username or parts.password:
        raise CaldavError(Failure.BAD_URL, "credentials in the URL")
    host = parts.hostname
    try:
        addresses = await AddressGuard(policy).checked_addresses(host, port)
    except FetchError as error:
        if error.reason is FetchFailureReason.PRIVATE_ADDRESS:
            raise CaldavError(Failure.REFUSED, error.detail) from None
        raise CaldavError(Failure.UNREACHABLE, error.detail) from None
    pinned = ",".join(f"{host}:{address}" for address in addresses)
    client = DAVClient(
        url=url.strip(),
        username=username,
        password=password,
        timeout=TIMEOUT,
        enable_rfc6764=False,
    )
    session = niquests.Session(resolver=f"in-memory://default/?hosts={pinned}")
    session.trust_env = False
    client.session = session
    return CaldavLink(client, url.strip())
