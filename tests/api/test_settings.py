"""Settings with a fixed set of values refuse a typo, naming the values allowed, at every door."""

from __future__ import annotations

import subprocess

import pytest
from pydantic import ValidationError

from abstract_search.api.settings import Settings
from tests.conftest import ABSTRACTS, cli_env


@pytest.mark.parametrize("field, value, allowed", [
    ("backend", "onx", "'onnx'"), ("query_backend", "int8", "'onnx-int8'"), ("index_type", "hnws", "'hnsw'")])
def test_a_typo_in_a_fixed_setting_names_the_allowed_values(field, value, allowed):
    with pytest.raises(ValidationError, match=allowed):
        Settings(**{field: value})


def test_the_command_line_says_so_without_a_traceback(bundled_index):
    ran = subprocess.run([str(ABSTRACTS), "search", "judges", "--index", str(bundled_index)], capture_output=True,
                         text=True, env={**cli_env(), "ABSTRACTS_BACKEND": "onx"}, timeout=120, check=False)
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert "backend" in ran.stderr and "'onnx-int8'" in ran.stderr


def test_a_token_file_gives_the_token_and_an_empty_one_is_refused(tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    assert Settings(api_token_file=token).api_token == "s3cret"
    token.write_text("\n")
    with pytest.raises(ValidationError, match="is empty"):
        Settings(api_token_file=token)


def test_the_page_limits_are_the_settings(index_copy):
    from fastapi.testclient import TestClient

    from abstract_search.api.app import create_app
    from tests.api.conftest import LOCAL

    with TestClient(create_app(Settings(index=index_copy, max_k=5, max_offset=3)), base_url=LOCAL) as client:
        assert client.get("/search", params={"q": "judges", "k": 5}).status_code == 200
        too_many = client.get("/search", params={"q": "judges", "k": 6})
        assert too_many.status_code == 422 and "ABSTRACTS_MAX_K" in too_many.json()["detail"]
        too_far = client.post("/similar", json={"text": "judges", "k": 5, "offset": 4})
        assert too_far.status_code == 422 and "ABSTRACTS_MAX_OFFSET" in too_far.json()["detail"]
        batch = client.post("/search", json={"queries": ["judges"], "k": 6})
        assert batch.status_code == 422 and "ABSTRACTS_MAX_K" in batch.json()["detail"]


def test_serve_help_shows_its_defaults_and_the_read_only_flag():
    from tests.conftest import run_cli

    shown = " ".join(run_cli("serve", "--help").stdout.split())
    assert "[default 127.0.0.1]" in shown and "[default 8000]" in shown and "--read-only" in shown
