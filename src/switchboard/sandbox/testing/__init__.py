"""A test client for bots, in the spirit of `starlette.testclient`.

    with SandboxServer() as sandbox:            # a real HTTP server on a free port
        bot_url = sandbox.url                    # point any bot framework at it
        async with sandbox.client() as tg:       # act as users, watch what bots do
            alice = await tg.create_user("Alice")
            await tg.send_text(alice, "/start", bot_id=bot_id)
            reply = await tg.expect_message(chat_id=alice["id"], bot_id=bot_id)

The server runs in its own thread and event loop, so it serves sync and async tests alike, and
bots under test talk to it over real HTTP exactly as they talk to Telegram.

How `expect…` sees events: the client reads the sandbox's event log from where it was when the
client started. Each `expect…` call returns the earliest event not yet returned by an earlier
call that matches, and consumes it; events it passes over stay in a backlog for later calls. So
waiting for Alice's reply and then Bob's works in either order of arrival, and an event is never
returned twice. `await forget_events()` drops every unclaimed event up to now, for a test that
wants only what happens next. A failed wait says what it waited for and lists what happened
instead.
"""

from __future__ import annotations

from .client import SandboxClient, SandboxTimeout
from .server import SandboxServer, SandboxUvicorn, free_port, run_forever

__all__ = [
    "SandboxClient",
    "SandboxServer",
    "SandboxTimeout",
    "SandboxUvicorn",
    "free_port",
    "run_forever",
]
