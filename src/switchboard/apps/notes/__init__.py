"""The notes app: a personal secretary that files what users send into the right forum topic."""

from .app import APP

__all__ = ["APP"]
