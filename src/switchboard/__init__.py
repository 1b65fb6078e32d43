"""Switchboard: a self-hosted Telegram assistant platform."""

__version__ = "0.1.0"
