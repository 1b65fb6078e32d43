"""The calendar app: events in chat, reminders that are never late or doubled, agenda, ICS
import, export and subscriptions, CalDAV sync, group events with RSVP."""

from .app import APP

__all__ = ["APP"]
