"""`StartupError`: a setup that cannot work, said in one line that names the cause and the fix.

Raised where the failure is found (settings, the database check, TOKEN_KEY, the Bot API, a busy
port); the CLI prints the line and exits with status 2, no traceback. It imports nothing, so
every layer may raise it.
"""

from __future__ import annotations


class StartupError(Exception):
    """Start-up cannot go on; `str(error)` is one line naming the setting and the fix."""
