"""Every table of this installation on `Base.metadata`: the kernel's and each installed app's.

Alembic's autogenerate and the tests' schema checks read `Base.metadata` after importing this
module. An app's models are loaded with the app (its package imports them).
"""

from __future__ import annotations

import switchboard.kernel.accounts
import switchboard.kernel.fsm_models
import switchboard.kernel.jobs.models
import switchboard.kernel.models
import switchboard.kernel.rollups  # noqa: F401
from switchboard.platform.installed_apps import installed_apps

installed_apps()
