"""The battery's fixtures and helpers live in :mod:`tests.cli_harness` (shared with the conventions test)."""

from tests.cli_harness import (  # noqa: F401  (fixtures and helpers re-exported for the battery)
    HostileFiles,
    Outcome,
    assert_clean_failure,
    assert_no_nonfinite,
    hostile,
    invoke,
    listing,
)
