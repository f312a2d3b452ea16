"""Running the installed command line from tests, as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``arcollect ARGS...`` (or ``python -m arcollect.cli``), its output decoded as UTF-8."""
    exe = shutil.which("arcollect")
    cmd = [exe] if exe else [sys.executable, "-m", "arcollect.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, encoding="utf-8", check=False)
