"""Named points where the crash-recovery tests kill a writing process (SIGKILL), so each test
hits exactly the instant it names; nothing happens unless ``CITEWISE_TEST_CRASH_AT`` names one."""

from __future__ import annotations

import os
import signal

CRASH_ENV = "CITEWISE_TEST_CRASH_AT"


def crash_point(stage: str) -> None:
    """Kills this process at ``stage`` when the crash-recovery tests ask for it."""
    if os.environ.get(CRASH_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)
