"""The HTTP fixtures of tests/api, shared here: an in-process TestClient and the token header."""


import pytest  # noqa: E402

from tests.api.conftest import TOKEN, auth, client, serve_copy, start_server, stop_server  # noqa: F401  (pytest fixtures)  # noqa: E402


@pytest.fixture(scope="module")
def security_server(bundled_index, tmp_path_factory):
    """A real server over its own copy of the bundled index; yields its base URL."""
    yield from serve_copy(bundled_index, tmp_path_factory, "security")


@pytest.fixture(scope="module")
def page_driver(tmp_path_factory):
    """Headless Chromium, as tests/api/test_page.py drives it (skips where it is not installed)."""
    pytest.importorskip("selenium.webdriver")
    from tests.api import test_page

    yield from test_page.driver.__wrapped__(tmp_path_factory, tmp_path_factory.mktemp("downloads"))
