"""Imports every model module so that `Base.metadata` knows every table.

Alembic's autogenerate and the test fixtures read `Base.metadata` after importing this module.
Append a line when you add a models module.
"""

from __future__ import annotations

import switchboard.apps.notes.links.models
import switchboard.apps.notes.models
import switchboard.kernel.fsm_models
import switchboard.kernel.jobs.models
import switchboard.kernel.models  # noqa: F401
