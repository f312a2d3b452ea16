"""Hypothesis profiles: developers explore fresh examples; CI replays a fixed set.

Wall-clock deadlines are off everywhere: speed is measured by benchmarks/, not by tests, and a
busy machine must not turn a correct test red. Under CI (the ``CI`` environment variable, as
`.ci/run` is invoked) examples are derandomized, so a landing never depends on luck.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None)
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
