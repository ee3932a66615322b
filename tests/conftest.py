"""Shared test configuration.

``fixtures_dir`` points at ``../shared/fixtures`` (real files written by other tools, see
MANIFEST.md there) or at ``$SPIKECORE_FIXTURES``; tests that use it skip when it is absent.
"""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Numba compiles on first call; hypothesis must not count that as a slow example.
settings.register_profile(
    "spikecore", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
# CI (.ci/run sets HYPOTHESIS_PROFILE=ci): the same examples every run, so a merge is never
# refused by an example no one has seen; new examples are explored by the local runs.
settings.register_profile("ci", parent=settings.get_profile("spikecore"), derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "spikecore"))

REPO = Path(__file__).resolve().parents[1]


def _fixtures_path():
    env = os.environ.get("SPIKECORE_FIXTURES")
    return Path(env) if env else REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir():
    path = _fixtures_path()
    if not path.is_dir():
        pytest.skip("shared fixtures folder not found at %s" % path)
    return path
