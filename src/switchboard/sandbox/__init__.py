"""A faithful local Telegram Bot API: run bots with no token and no network.

Start it with `switchboard sandbox`, point any bot at `http://HOST:PORT` as its API server, and
talk to the bot in the web chat at `/`. Tests use `switchboard.sandbox.testing`.
"""

from .server import create_app
from .world import World

__all__ = ["World", "create_app"]
