"""Options and fixtures of the fuzz suite: a time budget and a seed every harness shares.

``--fuzz-time SECONDS`` (or ``ARCOLLECT_FUZZ_TIME``) is the total budget of the time-bounded
harnesses, split between them by weight; the default is the short budget plain ``pytest`` and CI
use. ``--fuzz-seed N`` (or ``ARCOLLECT_FUZZ_SEED``) fixes the random sequence; without it the
seed is fixed under CI and fresh otherwise, and is always printed in the header and on failure.
``--fuzz-report PATH`` appends every finding to PATH as JSON lines.

The options exist when pytest starts in this directory (``pytest tests/fuzz ...``, as
``nox -s fuzz`` does); from the top of the checkout use the environment variables.
"""

from __future__ import annotations

import os
import random
import time
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from fuzz.oracle import Campaign

#: The short budget, in seconds, of all time-bounded harnesses together.
SHORT_BUDGET = 12.0

#: Each harness's share of the budget.
WEIGHTS = {
    "rules": 3.0,
    "exprs": 3.0,
    "data": 2.0,
    "dicts": 1.0,
    "constructors": 1.0,
    "csv": 1.0,
    "order": 1.0,
    "frame": 1.0,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fuzz", "arcollect fuzz campaign")
    group.addoption(
        "--fuzz-time",
        type=float,
        default=None,
        help=f"total seconds for the fuzz harnesses (default {SHORT_BUDGET:g}, "
        "or $ARCOLLECT_FUZZ_TIME)",
    )
    group.addoption(
        "--fuzz-seed",
        type=int,
        default=None,
        help="seed of the fuzz campaign (default: $ARCOLLECT_FUZZ_SEED, fixed under CI, else random)",  # noqa: E501
    )
    group.addoption(
        "--fuzz-report", default=None, help="append findings to this file, as JSON lines"
    )


def fuzz_time(config: pytest.Config) -> float:
    """The total budget of the time-bounded harnesses."""
    given = config.getoption("--fuzz-time", default=None)
    if given is None:
        given = float(os.environ.get("ARCOLLECT_FUZZ_TIME", SHORT_BUDGET))
    return float(given)


def fuzz_seed(config: pytest.Config) -> int:
    """The campaign's seed, chosen once per run."""
    seed = config.getoption("--fuzz-seed", default=None)
    if seed is None:
        env = os.environ.get("ARCOLLECT_FUZZ_SEED")
        if env is not None:
            seed = int(env)
        elif os.environ.get("CI"):
            seed = 20261123
        else:
            seed = random.SystemRandom().randrange(2**32)
        config.option.fuzz_seed = seed
    return int(seed)


def pytest_report_header(config: pytest.Config) -> str:
    return f"arcollect fuzz: --fuzz-seed {fuzz_seed(config)} --fuzz-time {fuzz_time(config):g}"


@pytest.fixture
def fuzz_seed_value(request: pytest.FixtureRequest) -> int:
    """The seed of this test: the campaign's seed mixed with the test's name."""
    base = fuzz_seed(request.config)
    return base ^ zlib.crc32(request.node.nodeid.encode())


@pytest.fixture
def rng(fuzz_seed_value: int) -> random.Random:
    """A random generator seeded for this test."""
    return random.Random(fuzz_seed_value)


def budget_for(config: pytest.Config, harness: str) -> float:
    """This harness's share of ``--fuzz-time``."""
    return fuzz_time(config) * WEIGHTS[harness] / sum(WEIGHTS.values())


@pytest.fixture
def campaign(request: pytest.FixtureRequest) -> Iterator[Campaign]:
    """A campaign for the harness named by the test's ``fuzz_harness`` marker."""
    marker = request.node.get_closest_marker("fuzz_harness")
    assert marker is not None, "a fuzz test names its harness: @pytest.mark.fuzz_harness(...)"
    harness = str(marker.args[0])
    seed = fuzz_seed(request.config)
    report = request.config.getoption("--fuzz-report", default=None)
    c = Campaign(
        harness=harness,
        seed=seed,
        deadline=time.monotonic() + budget_for(request.config, harness),
        report=Path(report) if report else None,
    )
    yield c
    c.write_report()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fuzz_harness(name): the fuzz harness a test runs, for its share of the budget"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed and Path(str(item.fspath)).parent == HERE:
        report.sections.append(
            (
                "fuzz seed",
                f"reproduce with: pytest {item.nodeid} --fuzz-seed {fuzz_seed(item.config)}",
            )
        )
    return report


HERE = Path(__file__).parent
