"""Reading the response headers fetchers need: type, charset, length, file name, raw values."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

__all__ = ["MAX_FILE_NAME_LENGTH", "ResponseHeaders", "file_name_from"]

MAX_FILE_NAME_LENGTH = 255


@dataclass(frozen=True, slots=True)
class ResponseHeaders:
    """Response headers as httpcore gives them: (name, value) byte pairs, names any case."""

    raw: list[tuple[bytes, bytes]]

    def get(self, name: str) -> str | None:
        """The first value of header `name`, or None."""
        wanted = name.lower().encode("ascii")
        for key, value in self.raw:
            if key.lower() == wanted:
                return value.decode("latin-1").strip()
        return None

    @property
    def media_type(self) -> str:
        """`type/subtype` in lower case; `application/octet-stream` when absent or garbled."""
        value = (self.get("content-type") or "").split(";", 1)[0].strip().lower()
        return value if value.count("/") == 1 and " " not in value else "application/octet-stream"

    @property
    def charset(self) -> str | None:
        return _parameters("content-type", self.get("content-type")).get_content_charset()

    @property
    def content_length(self) -> int | None:
        """The declared body length, or None when absent, garbled or contradictory."""
        values = {v.strip() for k, v in self.raw if k.lower() == b"content-length"}
        if len(values) != 1:
            return None
        value = values.pop().decode("latin-1")
        return int(value) if value.isdigit() else None

    @property
    def attachment_name(self) -> str | None:
        """The file name from Content-Disposition (RFC 6266, `filename*` too), its base only."""
        disposition = self.get("content-disposition")
        if disposition is None:
            return None
        name = _parameters("content-disposition", disposition).get_filename()
        return file_name_from(name) if name else None


def file_name_from(text: str) -> str | None:
    """A displayable base name: no directories, no control characters, bounded length."""
    base = text.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_FILE_NAME_LENGTH] or None


def _parameters(name: str, value: str | None) -> Message:
    message = Message()
    if value is not None:
        message[name] = value
    return message
