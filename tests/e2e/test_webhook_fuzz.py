"""Hostile webhook bodies get a 4xx with a reason, never a 5xx, and the platform keeps working.

A few hundred bodies from a seeded generator (set SWITCHBOARD_FUZZ_SEED to explore others) go
to `switchboard serve` over real HTTP: nesting 10 to 100,000 deep, types aiogram does not know,
bodies past the size limit (declared and chunked), wrong types, huge numbers, invalid UTF-8,
lone surrogates, NaN and Infinity, duplicate keys, empty bodies, and valid updates with one
part replaced by something hostile. A 5xx tells Telegram to retry the same body: for bad input
that is a retry loop, and on polling the same update would freeze the bot.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conftest import Figures
from switchboard.kernel.telemetry import configure_logging
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, serving_webhooks

SEED = int(os.environ.get("SWITCHBOARD_FUZZ_SEED", "20261107"))
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # Telegram's updates are far smaller


@dataclass
class Body:
    kind: str
    content: bytes
    expected: int | None = None  # the status this kind must get, when there is only one


class Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.next_id = 10_000

    def update_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def user(self) -> dict[str, Any]:
        return {
            "id": self.random.randrange(1, 2**40),
            "is_bot": False,
            "first_name": "Fuzz",
            "language_code": self.random.choice(["en", "ru", "xx", ""]),
        }

    def message(self) -> dict[str, Any]:
        user = self.user()
        text = self.random.choice(["/start", "/help", "hello", "/settings", "/privacy", "x"])
        return {
            "message_id": self.random.randrange(1, 2**31),
            "date": 1_790_000_000,
            "chat": {"id": user["id"], "type": "private", "first_name": "Fuzz"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        }

    def valid_update(self) -> dict[str, Any]:
        if self.random.random() < 0.7:
            return {"update_id": self.update_id(), "message": self.message()}
        message = self.message()
        query = {
            "id": str(self.random.randrange(2**60)),
            "from": message["from"],
            "chat_instance": "42",
            "data": self.random.choice(["lang:en", "ntopic:1", "x" * 64, ""]),
            "message": message,
        }
        return {"update_id": self.update_id(), "callback_query": query}

    def nested(self, depth: int) -> bytes:
        if depth > 2000 or self.random.random() < 0.5:
            opener, closer = self.random.choice([("[", "]"), ('{"a":', "}")])
            return (opener * depth + "1" + closer * depth).encode()
        opened: list[str] = []
        parts: list[str] = []
        for _ in range(depth):
            if self.random.random() < 0.5:
                parts.append("[")
                opened.append("]")
            else:
                parts.append('{"k":')
                opened.append("}")
        return ("".join(parts) + "null" + "".join(reversed(opened))).encode()

    def depth(self) -> int:
        return int(10 ** self.random.uniform(1, 5))  # 10 .. 100,000, as many of each order

    def hostile_value(self) -> Any:
        choices: list[Any] = [
            None, True, False, 0, -1, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, 1.5,
            -0.0, 1e308, float("nan"), float("inf"), "", "x" * 5000, "\ud800", "\udfff\ud800",
            "\x00", "🙂" * 50, [], {}, [[[[]]]], {"a": {"b": {"c": {}}}}, "1", "true",
            [1, "a", None], {"update_id": 1},
        ]  # fmt: skip
        return self.random.choice(choices)

    def mutated(self) -> Body:
        update = self.valid_update()
        # Walk to a random object inside the update and break one of its fields.
        target: Any = update
        for _ in range(self.random.randrange(1, 4)):
            children = [v for v in target.values() if isinstance(v, dict)]
            if not children:
                break
            target = self.random.choice(children)
        key = self.random.choice([*target.keys(), "brand_new_field"])
        if self.random.random() < 0.2:
            target.pop(key, None)
        else:
            target[key] = self.hostile_value()
        return Body("mutated", json.dumps(update).encode())

    def bodies(self) -> Iterator[Body]:
        for _ in range(60):
            yield Body("nested", self.nested(self.depth()), 400)
        for _ in range(30):  # deep inside an otherwise valid update
            update = self.valid_update()
            update["message" if "message" in update else "callback_query"]["extra"] = "@@"
            text = json.dumps(update).replace('"@@"', self.nested(self.depth()).decode())
            yield Body("nested in update", text.encode())
        for _ in range(20):
            deep = self.nested(self.depth()).decode()
            yield Body("nested as message", f'{{"update_id": {self.update_id()}, '
                       f'"message": {deep}}}'.encode())  # fmt: skip
        for _ in range(30):
            name = self.random.choice(["brand_new_thing", "x" * 300, "🙂", "", "message_"])
            value = self.random.choice([{"id": 1}, [], 5, "s", None, {"from": self.user()}])
            body = json.dumps({"update_id": self.update_id(), name: value}).encode()
            yield Body("unknown type", body, 200)
        for value in [
            "1", "", True, False, 1.5, None, [], {}, 2**63, -(2**63) - 1, 10**30, 1e20,
        ]:  # fmt: skip
            yield Body("wrong update_id", json.dumps({"update_id": value, "x": 1}).encode(), 400)
        for value in [[], "text", 5, True, {"message_id": "x"}, [self.message()]]:
            body = json.dumps({"update_id": self.update_id(), "message": value}).encode()
            yield Body("wrong message", body, 400)
        for literal in ["NaN", "Infinity", "-Infinity"]:
            yield Body("constant", f'{{"update_id": {literal}}}'.encode(), 400)
            update = json.dumps(self.valid_update())
            update = update.replace('"date": 1790000000', f'"date": {literal}')
            yield Body("constant in update", update.encode(), 400)
        for digits in [19, 20, 400, 5000]:
            yield Body("huge int", f'{{"update_id": 1{"0" * digits}}}'.encode(), 400)
            update = json.dumps(self.valid_update())
            yield Body("huge id", update.replace('"id": ', f'"id": 9{"9" * digits}', 1).encode())
        for _ in range(20):
            junk = self.random.randbytes(self.random.randrange(1, 2000))
            yield Body("random bytes", junk, 400)
        for bad in [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]:
            update = json.dumps(self.valid_update()).encode()
            yield Body("invalid utf-8", update.replace(b'"Fuzz"', b'"Fu' + bad + b'zz"', 1), 400)
        for escape in ["\\ud800", "\\udc00", "\\ud83d", "\\udfff\\ud800"]:
            update = json.dumps(self.valid_update()).replace('"Fuzz"', f'"Fu{escape}zz"', 1)
            yield Body("lone surrogate", update.encode(), 400)
        update_id = self.update_id()
        twice = f'{{"update_id": {update_id}, "update_id": "x"}}'
        yield Body("duplicate keys", twice.encode(), 400)
        message = json.dumps(self.message())
        yield Body("duplicate keys", f'{{"update_id": "x", "update_id": {update_id}, '
                   f'"message": {message}, "message": []}}'.encode(), 400)  # fmt: skip
        for empty in [b"", b" ", b"null", b"0", b'""', b"[]", b"{}", b"\xef\xbb\xbf{}", b"\x00"]:
            yield Body("empty", empty, 400)
        for _ in range(150):
            yield self.mutated()
        for _ in range(10):  # long texts, entities pointing anywhere
            update = self.valid_update()
            message = update.get("message") or update["callback_query"]["message"]
            message["text"] = "".join(
                chr(self.random.choice([0x41, 0x44F, 0x1F642, 0x200F, 0xFEFF]))
                for _ in range(self.random.randrange(1, 200_000))
            )
            message["entities"] = [
                {
                    "type": self.random.choice(["bot_command", "url", "bold", "text_link", "?"]),
                    "offset": self.random.randrange(-5, 300_000),
                    "length": self.random.randrange(-5, 300_000),
                }
                for _ in range(self.random.randrange(0, 50))
            ]
            yield Body("long text", json.dumps(update).encode())
        for _ in range(4):
            filler = "x" * (MAX_BODY_BYTES + self.random.randrange(1, 100_000))
            update = {"update_id": self.update_id(), "message": self.message() | {"text": filler}}
            yield Body("oversized", json.dumps(update).encode(), 413)


async def _post(
    http: httpx.AsyncClient, url: str, content: bytes, headers: dict[str, str], refused: list[str]
) -> httpx.Response:
    """The body's answer. A connection that could not be opened is tried again (twice, a
    moment apart) and noted: the body never reached the server, so that is not its answer.
    Late in a full suite run a few connects to the loopback server fail so (seen only for
    deeply nested bodies, never in this file alone; not yet explained); any other transport
    error, and a third refused connect, propagate."""
    for attempt in range(3):
        try:
            return await http.post(url, content=content, headers=headers)
        except httpx.ConnectError as error:
            if attempt == 2:
                raise
            cause = error.__cause__ or error.__context__
            refused.append(f"{error!r} ({cause!r}; open files: {_open_files()})")
            gc.collect()  # in case it was this process's own sockets, left for the collector
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_hostile_webhook_bodies_get_no_5xx(
    sandbox: SandboxServer, database_url: str, figures: Figures
) -> None:
    # As `switchboard serve` does. structlog's default would render each failed handler's
    # traceback with every local variable in it, which for these bodies takes minutes.
    configure_logging("WARNING")
    async with serving_webhooks(sandbox, database_url) as (url, secret, server):
        headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
        failures: list[str] = []
        refused: list[str] = []
        count = 0
        async with httpx.AsyncClient(timeout=10) as http:
            for body in Generator(SEED).bodies():
                count += 1
                try:
                    answer = await _post(http, url, body.content, headers, refused)
                except httpx.TransportError as error:  # no answer at all is worse than a 5xx
                    failures.append(f"{error!r} for {body.kind}: {body.content[:120]!r}")
                    continue
                status = answer.status_code
                if status >= 500 or (body.expected is not None and status != body.expected):
                    failures.append(f"{status} for {body.kind}: {body.content[:120]!r}")
        figures(
            f"webhook fuzz: {count} bodies, {len(refused)} connects refused and tried again"
            + "".join(f"\n  {line}" for line in refused[:5])
        )
        assert count > 300
        assert not failures, f"seed {SEED}: {len(failures)} wrong answers:\n" + "\n".join(
            failures[:40]
        )
        for declared, chunks in [(True, []), (False, [b"x" * 65536] * 17)]:
            assert await _oversized(url, secret, declared, chunks) == 413
        assert not server.done()
        # Still handling updates: a user's /start goes through the webhook and is answered.
        async with sandbox.client(timeout=10) as tg:
            user = await tg.create_user("Vera")
            await tg.send_text(user, "/start", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Vera")


async def _oversized(url: str, secret: str, declared: bool, chunks: list[bytes]) -> int:
    """The status for a body past the limit, read while the body is still unsent: with a
    `Content-Length` past the limit and no body sent at all, or chunked past the limit and
    never finished. A server that waited for the whole body would never answer."""
    target = httpx.URL(url)
    reader, writer = await asyncio.open_connection(target.host, target.port)
    try:
        length = (
            f"Content-Length: {MAX_BODY_BYTES * 2}\r\n"
            if declared
            else "Transfer-Encoding: chunked\r\n"
        )
        writer.write(
            f"POST {target.path} HTTP/1.1\r\nHost: {target.host}\r\n{SECRET_HEADER}: {secret}\r\n"
            f"Content-Type: application/json\r\n{length}\r\n".encode()
        )
        for chunk in chunks:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            try:
                await writer.drain()
            except ConnectionError:  # answered and closed while we were still sending
                break
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1])
    finally:
        writer.close()
