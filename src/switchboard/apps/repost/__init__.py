"""The repost app: feeds and channels reposted into chats, channels and forum topics,
filtered, formatted, never twice."""

from .app import APP

__all__ = ["APP"]
