"""One HTTP call to a model API, with failures turned into `ProviderError`s that say why.

Messages name the provider, the status and a clipped body, never the request's headers or
query, which is where API keys travel.
"""

from __future__ import annotations

from typing import Any

import httpx

from switchboard.ai.classification import ProviderError

_BODY_SHOWN = 300


def _retryable(status: int) -> bool:
    return status in (408, 409, 425, 429) or status >= 500


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    headers: dict[str, str],
    json: Any = None,
    data: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    request_timeout: float | None = None,
) -> Any:
    """POST and return the decoded JSON body, or raise `ProviderError`."""
    try:
        response = await client.post(
            url,
            headers=headers,
            json=json,
            data=data,
            files=files,
            timeout=(request_timeout if request_timeout is not None else httpx.USE_CLIENT_DEFAULT),
        )
    except httpx.TimeoutException:
        raise ProviderError(f"{provider}: timed out", retryable=True) from None
    except httpx.HTTPError as error:
        message = f"{provider}: {type(error).__name__}"
        raise ProviderError(message, retryable=True) from None
    if response.status_code >= 400:
        body = " ".join(response.text.split())[:_BODY_SHOWN]
        raise ProviderError(
            f"{provider}: HTTP {response.status_code}: {body}",
            retryable=_retryable(response.status_code),
        )
    try:
        return response.json()
    except ValueError:
        raise ProviderError(f"{provider}: the response is not JSON", retryable=True) from None
