"""Text formatting: parse modes into entities, and the entities Telegram finds by itself.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Errors are the server's
`can't parse entities: …` answers.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .errors import BotApiError, bad_request

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parse_error(detail: str) -> BotApiError:
    return bad_request(f"can't parse entities: {detail}")


_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


def _link(url: str) -> Entity:
    """A link entity; `tg://user?id=N` mentions that user (resolved to a User by the caller)."""
    match = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if match:
        return {"type": "text_mention", "user": {"id": int(match.group(1))}}
    return {"type": "text_link", "url": url}


class _HtmlEntities(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, int, Entity]] = []
        self.entities: list[Entity] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        entity: Entity
        if tag in _SIMPLE_TAGS:
            kind = _SIMPLE_TAGS[tag]
            if tag == "blockquote" and "expandable" in attributes:
                kind = "expandable_blockquote"
            entity = {"type": kind}
        elif tag == "span" and attributes.get("class") == "tg-spoiler":
            entity = {"type": "spoiler"}
        elif tag == "a":
            entity = _link(attributes.get("href") or "")
        elif tag == "tg-emoji":
            entity = {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}
        else:
            raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            if language:
                self.stack[-1][2]["language"] = language
                entity = {"type": "_skip"}
        self.stack.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise _parse_error(
                f'Unmatched end tag at byte offset {self._offset()}, expected "</'
                f'{self.stack[-1][0] if self.stack else ""}>", found "</{tag}>"'
            )
        _, start, entity = self.stack.pop()
        if entity["type"] != "_skip" and self.length > start:
            self.entities.append({"offset": start, "length": self.length - start, **entity})

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)

    def _offset(self) -> int:
        """The byte offset in the input of the tag being handled (as the server reports it)."""
        line, column = self.getpos()
        lines = self.source.split("\n")
        index = sum(len(text) + 1 for text in lines[: line - 1]) + column
        return len(self.source[:index].encode())

    def finish(self) -> tuple[str, list[Entity]]:
        self.close()
        if self.stack:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def parse_html(text: str) -> tuple[str, list[Entity]]:
    parser = _HtmlEntities(text)
    parser.feed(text)
    return parser.finish()


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = [("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic")]
_MDV2_MARKERS += [("~", "strikethrough")]


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    length = 0
    entities: list[Entity] = []
    open_marks: list[tuple[str, int, Entity, int]] = []  # marker, start, entity, byte offset
    i = 0
    at_line_start = True

    def emit(chunk: str) -> None:
        nonlocal length
        out.append(chunk)
        length += utf16_len(chunk)

    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            emit(text[i + 1])
            i += 2
            at_line_start = False
            continue
        if char == "`":
            fence = text.startswith("```", i)
            marker = "```" if fence else "`"
            end = text.find(marker, i + len(marker))
            if end < 0:
                raise _parse_error(
                    f"Can't find end of Pre entity at byte offset {len(text[:i].encode())}"
                    if fence
                    else f"Can't find end of Code entity at byte offset {len(text[:i].encode())}"
                )
            body = text[i + len(marker) : end]
            entity: Entity = {"type": "pre" if fence else "code"}
            if fence and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    entity["language"] = first
                    body = rest
                elif not first:
                    body = rest
            body = re.sub(r"\\([`\\])", r"\1", body)
            start = length
            emit(body)
            if length > start:
                entities.append({"offset": start, "length": length - start, **entity})
            i = end + len(marker)
            continue
        if char == ">" and at_line_start:
            line_end = text.find("\n", i)
            line_end = len(text) if line_end < 0 else line_end
            inner, inner_entities = parse_markdown_v2(text[i + 1 : line_end])
            start = length
            for item in inner_entities:
                entities.append({**item, "offset": item["offset"] + start})
            emit(inner)
            if (
                entities
                and entities[-1].get("type") == "blockquote"
                and entities[-1].get("_open_until") == start - 1
            ):
                entities[-1]["length"] = length - entities[-1]["offset"]
            else:
                entities.append({"offset": start, "length": length - start, "type": "blockquote"})
            entities[-1]["_open_until"] = length
            i = line_end
            continue
        if char == "[":
            close = text.find("](", i)
            paren = text.find(")", close) if close >= 0 else -1
            if close < 0 or paren < 0:
                raise _parse_error(
                    "Character '[' is reserved and must be escaped with the preceding '\\'"
                )
            inner, inner_entities = parse_markdown_v2(text[i + 1 : close])
            start = length
            for item in inner_entities:
                entities.append({**item, "offset": item["offset"] + start})
            emit(inner)
            url = text[close + 2 : paren].replace("\\)", ")").replace("\\\\", "\\")
            entities.append({"offset": start, "length": length - start, **_link(url)})
            i = paren + 1
            continue
        matched = False
        for marker, kind in _MDV2_MARKERS:
            if text.startswith(marker, i):
                if open_marks and open_marks[-1][0] == marker:
                    _, start, entity, _ = open_marks.pop()
                    if length > start:
                        entities.append({"offset": start, "length": length - start, **entity})
                else:
                    open_marks.append((marker, length, {"type": kind}, len(text[:i].encode())))
                i += len(marker)
                matched = True
                break
        if matched:
            at_line_start = False
            continue
        if char in _MDV2_RESERVED:
            raise _parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(char)
        at_line_start = char == "\n"
        i += 1
    if open_marks:
        _, _, entity, at = open_marks[-1]
        name = entity["type"].capitalize()  # Bold, Italic, Underline, Strikethrough, Spoiler
        raise _parse_error(f"Can't find end of {name} entity at byte offset {at}")
    for entity in entities:
        entity.pop("_open_until", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown_legacy(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    length = 0
    entities: list[Entity] = []
    pattern = re.compile(
        r"\*(.+?)\*|_(.+?)_|```(?:(\w+)\n)?(.+?)```|`(.+?)`|\[(.+?)\]\((.+?)\)", re.S
    )
    position = 0
    for match in pattern.finditer(text):
        plain = text[position : match.start()]
        out.append(plain)
        length += utf16_len(plain)
        bold, italic, language, pre, code, link_text, url = match.groups()
        body = bold or italic or pre or code or link_text or ""
        entity: Entity
        if bold is not None:
            entity = {"type": "bold"}
        elif italic is not None:
            entity = {"type": "italic"}
        elif pre is not None:
            entity = {"type": "pre", **({"language": language} if language else {})}
        elif code is not None:
            entity = {"type": "code"}
        else:
            entity = {"type": "text_link", "url": url}
        entities.append({"offset": length, "length": utf16_len(body), **entity})
        out.append(body)
        length += utf16_len(body)
        position = match.end()
    out.append(text[position:])
    return "".join(out), entities


_AUTO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]}'»]")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{3,8}\b")),
    (
        "url",
        re.compile(r"(?<![\w@/.])(?:[a-z0-9-]+\.)+(?:com|org|net|io|ru|dev|me|app)(?:/[^\s]*)?\b"),
    ),
]
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "url", "email", "bot_command", "mention"}


def detect_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Add the url, mention, hashtag and command entities Telegram finds in plain text."""
    found = list(entities)
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _NO_AUTO_INSIDE
    ]
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(match.group(0))
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append({"offset": start, "length": end - start, "type": kind})
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return found


ENTITY_TYPES = {
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
    "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
    "code", "pre", "text_link", "text_mention", "custom_emoji", "date_time",
}  # fmt: skip
_ENTITY_EXTRAS = {
    "text_link": ("url", True),
    "text_mention": ("user", True),
    "custom_emoji": ("custom_emoji_id", True),
    "pre": ("language", False),
}


def input_entities(items: list[Any], text: str) -> list[Entity]:
    """Explicit `entities` as the server reads them: each checked (`Can't parse MessageEntity:
    …`), then cut to the text and dropped when empty, as Telegram fixes them."""
    total = utf16_len(text)
    found: list[Entity] = []
    for item in items:
        problem = _entity_problem(item)
        if problem is not None:
            raise bad_request(f"Can't parse MessageEntity: {problem}")
        start = max(0, item["offset"])
        end = min(total, item["offset"] + item["length"])
        if end <= start:
            continue
        entity: Entity = {"offset": start, "length": end - start, "type": item["type"]}
        extra = _ENTITY_EXTRAS.get(item["type"])
        if extra is not None and extra[0] in item:
            entity[extra[0]] = item[extra[0]]
        if item["type"] == "date_time":
            entity.update({k: item[k] for k in ("unix_time", "date_time_format") if k in item})
        found.append(entity)
    return found


def _entity_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "expected an Object"
    for name in ("offset", "length"):
        if name not in item:
            return f'Can\'t find field "{name}"'
        if isinstance(item[name], bool) or not isinstance(item[name], int):
            return f'Field "{name}" must be a valid Number'
    if "type" not in item:
        return 'Can\'t find field "type"'
    if not isinstance(item["type"], str):
        return 'Field "type" must be of type String'
    if item["type"] not in ENTITY_TYPES:
        return "Unsupported type specified"
    name, required = _ENTITY_EXTRAS.get(item["type"], ("", False))
    if required and name not in item:
        return f'Can\'t find field "{name}"'
    if name == "user" and not isinstance(item["user"], dict):
        return 'Field "user" must be of type Object'
    textual = name in {"url", "custom_emoji_id", "language"}
    if textual and name in item and not isinstance(item[name], str):
        return f'Field "{name}" must be of type String'
    return None


def format_text(
    text: str, parse_mode: str | None, entities: list[Entity] | None
) -> tuple[str, list[Entity]]:
    """Plain text and entities for a message, from parse_mode or explicit entities."""
    if entities is not None:
        plain, parsed = text, input_entities(entities, text)
    elif parse_mode is None or parse_mode == "":
        plain, parsed = text, []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            plain, parsed = parse_html(text)
        elif mode == "markdownv2":
            plain, parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, parsed = parse_markdown_legacy(text)
        else:
            raise bad_request("Unsupported parse_mode")
    return plain, detect_entities(plain, parsed)
