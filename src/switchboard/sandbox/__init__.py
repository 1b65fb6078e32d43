"""A faithful local Telegram Bot API: run bots with no token and no network.

Start it with `switchboard sandbox`, point any bot at `http://HOST:PORT` as its API server, and
talk to the bot in the web chat at `/`. Tests use `switchboard.sandbox.testing`. To serve
`create_app()` with your own uvicorn, pass `http=BotApiHttpProtocol` so that even requests it
can't read are answered in the Bot API's envelope.
"""

from .server import create_app
from .wire import BotApiHttpProtocol
from .world import World

__all__ = ["BotApiHttpProtocol", "World", "create_app"]
