"""HTTP as the Bot API server speaks it: even a request that can't be read gets the envelope.

uvicorn answers a request line or header block it can't parse with a plain-text 400 before the
app sees it; bots parse every answer from the Bot API as `{"ok": false, "error_code": …,
"description": …}`. `BotApiHttpProtocol` is uvicorn's httptools protocol with those answers in
the envelope, in the words of the real server's HTTP reader: a request line over 64 KiB (the
longest URL httptools splits; the real server allows 256 KiB of headers) is `431 Request Header
Fields Too Large: total headers size exceeded`, anything else unreadable `400 Bad Request`.
Pass it to uvicorn as `http=BotApiHttpProtocol`.
"""

from __future__ import annotations

import http
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["REQUEST_LINE_LIMIT", "BotApiHttpProtocol", "envelope"]

REQUEST_LINE_LIMIT = 65_535  # bytes of URL: httptools.parse_url refuses longer ones
TOO_LONG = "Request Header Fields Too Large: total headers size exceeded"
LINGER = 5.0  # seconds an answered, unreadable request may go on sending before we close


class RequestLineTooLong(Exception):
    """Raised from the parser's URL callback: stops reading a URL that can't be served."""


def envelope(status: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": status, "description": description}).encode()


class BotApiHttpProtocol(HttpToolsProtocol):
    refused = False  # this connection's request could not be read and was answered

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # the rest of a request already answered: read and dropped (see below)
        super().data_received(data)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > REQUEST_LINE_LIMIT:
            raise RequestLineTooLong  # httptools turns it into a parser error: the answer below

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it could not parse, as the Bot API answers it."""
        if len(getattr(self, "url", b"")) > REQUEST_LINE_LIMIT:
            status, description = 431, TOO_LONG
        else:
            status, description = 400, "Bad Request"
        body = envelope(status, description)
        head = [
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode(),
            *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers),
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        # Closing now, with the rest of the request unread, would reset the connection and the
        # client would lose the answer: end our side, drop what still comes, close on the
        # client's end of the request or after LINGER seconds.
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)
