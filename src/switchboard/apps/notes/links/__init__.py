"""Link previews for notes: title, description and site name, fetched without risk to us.

The fetching itself is the kernel's `GuardedFetcher` (public addresses only, checked on every
redirect; at most 5 redirects, 2 MB and 10 s). What is the notes app's: only HTML bodies are
read, for their title, description and site name; other files are described by name, type and
size; results, failures too, are cached per normalised link in the app's own table.

    service = LinkPreviewService.create(session_factory, allow_private_addresses=False)
    result = await service.preview("https://example.com/")
    if isinstance(result, LinkFailure):
        reply(result.message)  # "refused: private address", "too large", "timed out", …
"""

from .cache import LinkPreviewCache
from .extract import MessageEntityLike, extract_links
from .metadata import PageMetadata, page_metadata
from .results import LinkFailure, LinkKind, LinkPreview
from .service import LinkPreviewService

__all__ = [
    "LinkFailure",
    "LinkKind",
    "LinkPreview",
    "LinkPreviewCache",
    "LinkPreviewService",
    "MessageEntityLike",
    "PageMetadata",
    "extract_links",
    "page_metadata",
]
