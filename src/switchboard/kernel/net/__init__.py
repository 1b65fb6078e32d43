"""The guarded HTTP fetcher every app uses for the outside world: pages, feeds, calendars.

A URL is fetched only over http(s), only from public addresses (every address a host resolves
to is checked, on every redirect hop, and the connection goes to the address checked), within
limits (5 redirects, 2 MB, 10 s by default). A fetch with validators from an earlier one is
conditional, and "not modified" is an answer, not an error. Text is decoded by the charset
rules browsers use (BOM, header, in-document declaration), with detection as the last resort.

    fetcher = GuardedFetcher.create(allow_private_addresses=settings.allow_private)
    try:
        resource = await fetcher.fetch(parse_link(url), validators=feed.validators)
    except FetchError as error:
        log(error.reason.name, error.detail)  # reason.value is the text for users
    else:
        if not resource.not_modified:
            handle(resource.text)
        feed.validators = resource.validators
"""

from .addresses import IPAddress, RefusedRange, refused_range
from .charset import HTML_MEDIA_TYPES, decode_text, encoding_for_label, is_xml
from .errors import FetchError, FetchFailureReason
from .fetcher import DEFAULT_USER_AGENT, FetchLimits, GuardedFetcher
from .guard import AddressGuard, AddressPolicy, Resolver, system_resolver
from .resource import FetchedResource
from .response_headers import ResponseHeaders
from .urls import normalised, parse_link
from .validators import Validators

__all__ = [
    "DEFAULT_USER_AGENT",
    "HTML_MEDIA_TYPES",
    "AddressGuard",
    "AddressPolicy",
    "FetchError",
    "FetchFailureReason",
    "FetchLimits",
    "FetchedResource",
    "GuardedFetcher",
    "IPAddress",
    "RefusedRange",
    "Resolver",
    "ResponseHeaders",
    "Validators",
    "decode_text",
    "encoding_for_label",
    "is_xml",
    "normalised",
    "parse_link",
    "refused_range",
    "system_resolver",
]
