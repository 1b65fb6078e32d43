"""`SandboxClient`: act as Telegram users over the user API and await what bots do."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from .miss_report import describe_miss

Json = dict[str, Any]


BACKLOG_LIMIT = 50_000  # unclaimed events kept for later `expect…` calls (oldest dropped first)


class SandboxTimeout(AssertionError):
    """What the test waited for did not happen; the message says what did."""


class SandboxClient:
    """Acts as Telegram users over the sandbox's user API and awaits what bots do."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = httpx.AsyncClient(base_url=self.url, timeout=60.0)
        self.cursor = 0  # the newest event seq read from the sandbox
        # Events read but not yet returned by an `expect…`, oldest first.
        self.backlog: deque[Json] = deque(maxlen=BACKLOG_LIMIT)

    async def __aenter__(self) -> SandboxClient:
        state = await self.http.get("/sandbox/api/events", params={"after": 1 << 62})
        self.cursor = int(state.json()["last"])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.http.aclose()

    async def _post(self, path: str, **body: Any) -> Json:
        body = {key: value for key, value in body.items() if value is not None}
        response = await self.http.post(f"/sandbox/api/{path}", json=body)
        return self._check(response)

    @staticmethod
    def _check(response: httpx.Response) -> Json:
        data = response.json()
        if not isinstance(data, dict):
            raise AssertionError(f"sandbox answered {response.request.url.path} with {data!r}")
        if response.status_code >= 400:
            raise AssertionError(
                f"sandbox refused {response.request.url.path}: {data.get('error')}"
            )
        return data

    # the world -------------------------------------------------------------------------------

    async def state(self) -> Json:
        return self._check(await self.http.get("/sandbox/api/state"))

    async def create_bot(self, token: str, **fields: Any) -> Json:
        return await self._post("bots", token=token, **fields)

    async def create_user(self, first_name: str, **fields: Any) -> Json:
        return await self._post("users", first_name=first_name, **fields)

    async def create_group(
        self, user: Json, title: str, *, kind: str = "supergroup", forum: bool = False
    ) -> Json:
        return await self._post(
            "groups", user_id=user["id"], title=title, type=kind, is_forum=forum
        )

    async def add_member(
        self,
        chat: Json,
        actor: Json,
        member_id: int,
        *,
        status: str = "member",
        rights: Json | None = None,
    ) -> Json:
        return await self._post(
            f"chats/{chat['id']}/members",
            user_id=actor["id"],
            member_id=member_id,
            status=status,
            rights=rights,
        )

    async def create_topic(self, chat: Json, user: Json, name: str) -> Json:
        return await self._post(f"chats/{chat['id']}/topics", user_id=user["id"], name=name)

    async def delete_topic(self, chat: Json, user: Json, thread_id: int) -> Json:
        """`user` (an admin who manages topics) deletes the topic and its messages."""
        return await self._post(f"chats/{chat['id']}/topics/{thread_id}/delete", user_id=user["id"])

    async def messages(
        self, chat_id: int, bot_id: int | None = None, thread_id: int | None = None
    ) -> list[Json]:
        params = {
            k: v for k, v in {"bot_id": bot_id, "thread_id": thread_id}.items() if v is not None
        }
        data = self._check(
            await self.http.get(f"/sandbox/api/chats/{chat_id}/messages", params=params)
        )
        return list(data["messages"])

    async def reply_keyboard(
        self,
        user: Json,
        *,
        bot_id: int | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json | None:
        """The reply keyboard `user` sees now in the private chat with `bot_id` or in `chat_id`
        (a forum topic's with `thread_id`): `{"message_id", "bot_id", "markup", "hidden"}`."""
        params: Json = {"user_id": user["id"], "limit": 0}
        if bot_id is not None:
            params["bot_id"] = bot_id
        if thread_id is not None:
            params["thread_id"] = thread_id
        target = chat_id if chat_id is not None else user["id"]
        data = self._check(
            await self.http.get(f"/sandbox/api/chats/{target}/messages", params=params)
        )
        keyboard = data["reply_keyboard"]
        return dict(keyboard) if keyboard is not None else None

    async def commands(
        self, user: Json, *, bot_id: int | None = None, chat_id: int | None = None
    ) -> list[Json]:
        """The "/" menu `user` sees in the private chat with `bot_id`, or from that bot in
        `chat_id`: the first list the bot set for the scopes and languages that apply."""
        params: Json = {"user_id": user["id"]}
        if bot_id is not None:
            params["bot_id"] = bot_id
        target = chat_id if chat_id is not None else user["id"]
        data = self._check(
            await self.http.get(f"/sandbox/api/chats/{target}/commands", params=params)
        )
        lists = data["commands"]
        return list(lists[0]["commands"]) if lists else []

    async def download(self, file_id: str) -> bytes:
        response = await self.http.get(f"/sandbox/api/files/{file_id}")
        response.raise_for_status()
        return response.content

    # acting as a user ------------------------------------------------------------------------

    async def send_text(
        self,
        user: Json,
        text: str,
        *,
        bot_id: int | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Json:
        data = await self._post(
            "send",
            user_id=user["id"],
            bot_id=bot_id,
            chat_id=chat_id,
            text=text,
            message_thread_id=thread_id,
            reply_to_message_id=reply_to,
        )
        return dict(data["message"])

    async def send_media(
        self,
        user: Json,
        kind: str,
        content: bytes,
        *,
        filename: str = "file",
        mime_type: str = "application/octet-stream",
        bot_id: int | None = None,
        chat_id: int | None = None,
        caption: str | None = None,
        duration: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        fields = {
            "user_id": user["id"],
            "bot_id": bot_id,
            "chat_id": chat_id,
            "kind": kind,
            "caption": caption,
            "duration": duration,
            "message_thread_id": thread_id,
        }
        form = {k: str(v) for k, v in fields.items() if v is not None}
        response = await self.http.post(
            "/sandbox/api/send_media", data=form, files={"file": (filename, content, mime_type)}
        )
        return dict(self._check(response)["message"])

    async def send_location(
        self,
        user: Json,
        latitude: float,
        longitude: float,
        *,
        bot_id: int | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        data = await self._post(
            "send_location",
            user_id=user["id"],
            bot_id=bot_id,
            chat_id=chat_id,
            latitude=latitude,
            longitude=longitude,
            message_thread_id=thread_id,
        )
        return dict(data["message"])

    async def send_contact(
        self,
        user: Json,
        phone_number: str,
        first_name: str,
        *,
        last_name: str | None = None,
        bot_id: int | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        data = await self._post(
            "send_contact",
            user_id=user["id"],
            bot_id=bot_id,
            chat_id=chat_id,
            phone_number=phone_number,
            first_name=first_name,
            last_name=last_name,
            message_thread_id=thread_id,
        )
        return dict(data["message"])

    async def forward(
        self,
        user: Json,
        message: Json,
        *,
        from_bot_id: int | None = None,
        bot_id: int | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        """Forward `message` (from a chat the user sees; a private one names `from_bot_id`)."""
        data = await self._post(
            "forward",
            user_id=user["id"],
            from_chat_id=message["chat"]["id"],
            from_bot_id=from_bot_id,
            message_id=message["message_id"],
            bot_id=bot_id,
            chat_id=chat_id,
            message_thread_id=thread_id,
        )
        return dict(data["message"])

    async def share_chat(self, user: Json, bot_id: int, request_id: int, chat: Json) -> Json:
        """Choose `chat` in the picker a `request_chat` button (`request_id`) opened."""
        answer = await self._post(
            "share_chat", user_id=user["id"], bot_id=bot_id, request_id=request_id,
            chat_id=chat["id"],
        )  # fmt: skip
        return dict(answer["message"])

    async def send_web_app_data(
        self, user: Json, bot_id: int, data: str, *, button_text: str
    ) -> Json:
        """What `Telegram.WebApp.sendData(data)` sends from a Mini App opened by the keyboard
        button `button_text`: a `web_app_data` message in the private chat with the bot."""
        answer = await self._post(
            "web_app_data", user_id=user["id"], bot_id=bot_id, data=data, button_text=button_text
        )
        return dict(answer["message"])

    async def press(
        self,
        user: Json,
        message: Json,
        callback_data: str,
        *,
        bot_id: int | None = None,
        forged: bool = False,
    ) -> str:
        """Tap the button with `callback_data` on a bot's `message`. With `forged`, send any
        data as a modified client can: the message needs an inline keyboard, not that button."""
        chat_id = message["chat"]["id"]
        data = await self._post(
            "press",
            user_id=user["id"],
            bot_id=bot_id,
            chat_id=chat_id if chat_id < 0 else None,
            message_id=message["message_id"],
            callback_data=callback_data,
            forged=forged or None,
        )
        return str(data["callback_query_id"])

    async def webapp(self, user: Json, bot_id: int, url: str | None = None) -> Json:
        return await self._post("webapp", user_id=user["id"], bot_id=bot_id, url=url)

    # waiting for bots ------------------------------------------------------------------------

    async def expect(
        self,
        predicate: Callable[[Json], bool],
        what: str,
        timeout: float | None = None,  # noqa: ASYNC109 - public keyword; bounds several requests and words the failure
    ) -> Json:
        """The earliest unclaimed event that matches (see the module docstring), waiting for it
        up to `timeout` seconds; a `SandboxTimeout` that says what happened instead if none."""
        for event in self.backlog:
            if predicate(event):
                self.backlog.remove(event)
                return dict(event)
        earlier = len(self.backlog)
        limit = timeout or self.timeout
        deadline = time.monotonic() + limit
        seen: list[Json] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxTimeout(describe_miss(what, limit, seen, earlier))
            response = await self.http.get(
                "/sandbox/api/events", params={"after": self.cursor, "timeout": min(remaining, 50)}
            )
            events = response.json()["events"]
            for event in events:
                self.cursor = max(self.cursor, int(event["seq"]))
            for index, event in enumerate(events):
                if predicate(event):
                    self.backlog.extend(events[index + 1 :])  # unclaimed, for later calls
                    return dict(event)
                self.backlog.append(event)
                seen.append(event)

    async def forget_events(self) -> None:
        """Drop every unclaimed event up to now: later `expect…` calls see only what comes next."""
        state = await self.http.get("/sandbox/api/events", params={"after": 1 << 62})
        self.cursor = max(self.cursor, int(state.json()["last"]))
        self.backlog.clear()

    async def expect_message(
        self,
        *,
        chat_id: int,
        bot_id: int | None = None,
        text: str | None = None,
        contains: str | None = None,
        thread_id: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - public keyword; bounds several requests and words the failure
    ) -> Json:
        """The earliest unclaimed message a bot posted in the chat (that bot, if `bot_id` is
        given; matching `text` or `contains` if given)."""

        def matches(event: Json) -> bool:
            if event["type"] != "message" or event["chat_id"] != chat_id:
                return False
            message = event["message"]
            if "from" in message and not message["from"]["is_bot"]:
                return False
            # Events name the bot that acted (in a private chat, the chat's bot); none: a user.
            if event.get("bot_id") is None or bot_id not in (None, event["bot_id"]):
                return False
            if thread_id is not None and message.get("message_thread_id") != thread_id:
                return False
            body = message.get("text") or message.get("caption") or ""
            return (text is None or body == text) and (contains is None or contains in body)

        wanted = (
            f"a bot message in chat {chat_id}"
            + (f" saying {text!r}" if text else "")
            + (f" containing {contains!r}" if contains else "")
        )
        event = await self.expect(matches, wanted, timeout)
        return dict(event["message"])

    async def expect_edit(
        self,
        *,
        chat_id: int,
        message_id: int,
        timeout: float | None = None,  # noqa: ASYNC109 - public keyword; bounds several requests and words the failure
    ) -> Json:
        event = await self.expect(
            lambda e: (
                e["type"] == "edited"
                and e["chat_id"] == chat_id
                and e["message"]["message_id"] == message_id
            ),
            f"an edit of message {message_id} in chat {chat_id}",
            timeout,
        )
        return dict(event["message"])

    async def expect_callback_answer(
        self,
        query_id: str,
        timeout: float | None = None,  # noqa: ASYNC109 - public keyword; bounds several requests and words the failure
    ) -> Json:
        return await self.expect(
            lambda e: e["type"] == "callback_answer" and e["callback_query_id"] == query_id,
            f"an answer to callback query {query_id}",
            timeout,
        )
