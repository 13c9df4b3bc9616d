"""Settings with a fixed set of values refuse a typo, naming the values allowed, at every door."""

from __future__ import annotations

import subprocess

import pytest
from pydantic import ValidationError

from api.settings import Settings
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
