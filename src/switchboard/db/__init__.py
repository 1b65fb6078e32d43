"""The database layer: engine, sessions, the declarative base, and migrations."""

from switchboard.db.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from switchboard.db.engine import create_engine, writing_first
from switchboard.db.session import dialect_insert, session_factory

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "UTCDateTime",
    "create_engine",
    "dialect_insert",
    "session_factory",
    "utcnow",
    "writing_first",
]
