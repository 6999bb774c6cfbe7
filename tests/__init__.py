"""The test suite is a package (`tests.…`), so that helpers are imported as `tests.support.…`."""
