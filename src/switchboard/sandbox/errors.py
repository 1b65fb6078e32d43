"""Bot API errors, worded as the real server words them.

`Status::Error(400, "Message text is empty")` in the official server reaches clients as
`Bad Request: message text is empty`: the first letter is lower-cased unless the second
character is `_` or upper case. `bad_request()` applies the same rule so our strings can be
copied verbatim from the server's source (`tests/sandbox/data/error-strings.txt`).
"""

from __future__ import annotations

from typing import Any

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
}


class BotApiError(Exception):
    """An error answer: `{"ok": false, "error_code": code, "description": …}`."""

    def __init__(
        self,
        code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    def headers(self) -> dict[str, str]:
        if self.parameters and "retry_after" in self.parameters:
            return {"Retry-After": str(self.parameters["retry_after"])}
        return {}


def _lower_first(message: str) -> str:
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return message
    return message[:1].lower() + message[1:]


def bad_request(message: str) -> BotApiError:
    """`Status::Error(400, message)` as the real server renders it."""
    return BotApiError(400, f"Bad Request: {_lower_first(message)}")


def forbidden(message: str) -> BotApiError:
    return BotApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: int) -> BotApiError:
    retry_after = max(1, retry_after)
    return BotApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


def unauthorized() -> BotApiError:
    return BotApiError(401, "Unauthorized")


def invalid_token() -> BotApiError:
    return BotApiError(401, "Unauthorized: invalid token specified")


def method_not_found() -> BotApiError:
    return BotApiError(404, "Not Found: method not found")


def not_supported(method: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: method {method} is not supported by the sandbox")


def conflict(message: str) -> BotApiError:
    return BotApiError(409, f"Conflict: {message}")


CHAT_NOT_FOUND = "chat not found"
MESSAGE_TEXT_EMPTY = "Message text is empty"
THREAD_NOT_FOUND = "message thread not found"
WRONG_FILE_ID = "wrong file_id or the file is temporarily unavailable"
FILE_TOO_BIG = "file is too big"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
