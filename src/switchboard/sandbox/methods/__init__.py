"""Bot API methods of the sandbox. Importing this package registers every handler."""

from . import chats, editing, files, forum, polling, profile, queries, sending
from .registry import Answer, Call, find, implemented, spec_methods

__all__ = [
    "Answer",
    "Call",
    "chats",
    "editing",
    "files",
    "find",
    "forum",
    "implemented",
    "polling",
    "profile",
    "queries",
    "sending",
    "spec_methods",
]
