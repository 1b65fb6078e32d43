"""The match app: people matched by place and interests, on demand and in scheduled rounds."""

from .app import APP

__all__ = ["APP"]
