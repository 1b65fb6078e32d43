"""Logging in to the web: Telegram Login, OpenID Connect, limits on attempts, invitations.

The routes are `switchboard.web.api.auth` and `switchboard.web.api.invites`; the session
cookie they start is `switchboard.web.sessions`'.
"""

from switchboard.web.auth.invites import may_add_bots

__all__ = ["may_add_bots"]
