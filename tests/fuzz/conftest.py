import os

import pytest

from .fuzzing import TALLY


def pytest_terminal_summary(terminalreporter):
    if TALLY.requests:
        terminalreporter.write_line(
            f"fuzz: {TALLY.requests} requests, {TALLY.server_errors} server errors "
            f"({TALLY.describe()})"
        )


@pytest.fixture(scope="session")
def fuzz_requests() -> int:
    """Requests sent by the whole fuzz run: 2,000 in `make test`, more with `make fuzz`."""
    return int(os.environ.get("WSO_FUZZ_REQUESTS", "2000"))
