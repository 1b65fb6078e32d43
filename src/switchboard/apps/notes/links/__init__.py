"""Link previews for notes: title, description and site name, fetched without risk to us.

A link is fetched only over http(s), only from public addresses (every address a host resolves
to is checked, on every redirect, and the connection goes to the address checked), with at most
5 redirects, 2 MB and 10 s. Only HTML is read; other files are described by name, type and size.
Results, failures too, are cached per normalised link.

    service = LinkPreviewService.create(session_factory, allow_private_addresses=False)
    result = await service.preview("https://example.com/")
    if isinstance(result, LinkFailure):
        reply(result.message)  # "refused: private address", "too large", "timed out", …
"""

from .addresses import IPAddress, RefusedRange, refused_range
from .cache import LinkPreviewCache
from .errors import LinkError, LinkFailureReason
from .extract import MessageEntityLike, extract_links
from .fetcher import FetchedFile, FetchedPage, FetchLimits, LinkFetcher
from .guard import AddressGuard, AddressPolicy, Resolver, system_resolver
from .metadata import PageMetadata, page_metadata
from .results import LinkFailure, LinkKind, LinkPreview
from .service import LinkPreviewService
from .urls import normalised, parse_link

__all__ = [
    "AddressGuard",
    "AddressPolicy",
    "FetchLimits",
    "FetchedFile",
    "FetchedPage",
    "IPAddress",
    "LinkError",
    "LinkFailure",
    "LinkFailureReason",
    "LinkFetcher",
    "LinkKind",
    "LinkPreview",
    "LinkPreviewCache",
    "LinkPreviewService",
    "MessageEntityLike",
    "PageMetadata",
    "RefusedRange",
    "Resolver",
    "extract_links",
    "normalised",
    "page_metadata",
    "parse_link",
    "refused_range",
    "system_resolver",
]
