"""Security: the page escapes what it shows, the token is compared in constant time and never logged, no route
reads a file path from the request, nothing is unpickled, and CORS is off unless configured."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from abstract_search.api import deps
from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from tests.api.conftest import LOCAL, TOKEN, start_server, stop_server
from tests.conftest import ABSTRACTS, ROOT, cli_env

EVIL = "<img src=x onerror=window.__pwned=1>"
SOURCE_DIRS = ("api", "data", "index", "search", "bench")


# --- the page -------------------------------------------------------------------------------

def test_the_page_shows_hostile_titles_authors_ids_and_queries_as_text(page_driver, security_server):
    """Extends tests/api/test_page.py: authors, ids, the echoed query and error messages are text too."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    from tests.api.test_page import titles, wait_for_view

    evil_id = '"><svg onload=window.__pwned=3>'
    paper = {"id": evil_id, "title": "<script>window.__pwned=2</script> Judges of judges",
             "abstract": "We study LLM judges that grade other models, <b onmouseover=alert(5)>bold</b> claims.",
             "authors": ["<img src=y onerror=window.__pwned=4>", "Plain Author"]}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    added = httpx.post(f"{security_server}/papers", headers=auth, json={"papers": [paper]}, timeout=120)
    assert added.status_code == 200, added.text
    driver = page_driver
    try:
        driver.get(f"{security_server}/?q={quote(paper['abstract'])}")
        wait_for_view(driver)
        assert paper["title"] in titles(driver)
        shown = driver.find_element(By.ID, "results").text
        assert "<img src=y onerror=window.__pwned=4>" in shown and "<b onmouseover=alert(5)>bold</b>" in shown
        for page_url in (f"/?q={quote(EVIL)}", f"/?similar={quote(evil_id)}", f"/?similar={quote(EVIL)}"):
            driver.get(security_server + page_url)
            wait_for_view(driver)
            if "similar=%3Cimg" in page_url:
                assert EVIL in driver.find_element(By.ID, "message").text  # the error names the id, as text
            assert driver.execute_script("return window.__pwned === undefined")
            assert driver.find_element(By.ID, "q").get_attribute("value") in ("", EVIL)
        for url in (f"/?q={quote(paper['abstract'])}", f"/?similar={quote(evil_id)}"):
            driver.get(security_server + url)
            wait_for_view(driver)
            assert driver.find_elements(By.CSS_SELECTOR, "#results .result")  # something was shown
            assert not driver.find_elements(By.CSS_SELECTOR, "main img, main svg, main script, #results b")
            assert driver.execute_script("return window.__pwned === undefined")  # no handler ran
            with pytest.raises(NoAlertPresentException):
                driver.switch_to.alert  # noqa: B018
        # The check can fail: the same markup inserted as HTML does make an element.
        driver.execute_script("document.getElementById('results').insertAdjacentHTML('beforeend', arguments[0])", EVIL)
        assert driver.find_elements(By.CSS_SELECTOR, "main img")
    finally:
        httpx.delete(f"{security_server}/papers/{quote(evil_id, safe='')}", headers=auth, timeout=120)


def test_the_page_script_never_inserts_html_and_its_policy_forbids_inline_script():
    script = (ROOT / "api" / "static" / "app.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", script)
    policy = re.search(r'Content-Security-Policy"\s+content="([^"]+)"', (ROOT / "api" / "static" / "index.html").read_text())
    assert policy and "script-src 'self'" in policy[1] and "unsafe-inline" not in policy[1]


# --- the token ------------------------------------------------------------------------------

def test_the_token_is_compared_in_constant_time(index_copy, monkeypatch):
    calls = []
    real = deps.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(deps.hmac, "compare_digest", spy)
    app = create_app(Settings(index=index_copy, api_token=TOKEN))
    with TestClient(app, base_url=LOCAL) as client:
        for given in ("x" + TOKEN[1:], TOKEN[:-1] + "x", "short", TOKEN):
            answer = client.delete("/papers/no-such-paper", headers={"Authorization": f"Bearer {given}"})
            assert answer.status_code == (404 if given == TOKEN else 401)
            assert given not in answer.text  # a refusal never echoes what was sent
    assert [a for a, _ in calls] == [g.encode() for g in ("x" + TOKEN[1:], TOKEN[:-1] + "x", "short", TOKEN)]
    assert all(b == TOKEN.encode() for _, b in calls)
    # No other comparison of the token anywhere in the code.
    for path in (ROOT / "api").rglob("*.py"):
        assert not re.search(r"api_token\s*[!=]=|[!=]=\s*\S*api_token\b", path.read_text()), path
    assert "compare_digest" in inspect.getsource(deps.require_writer)


def command_lines() -> str:
    """Return every process's command line on this machine, as `ps` shows them."""
    lines = []
    for entry in Path("/proc").iterdir():
        try:
            lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return "\n".join(lines)


def test_a_token_from_a_file_never_reaches_the_logs_or_ps(index_copy, tmp_path):
    secret = "cli-secret-token-7Q2xZ9"
    token_file = tmp_path / "token"
    token_file.write_text(secret + "\n")
    refused = subprocess.run([str(ABSTRACTS), "serve", "--index", str(index_copy), "--token", secret],
                             capture_output=True, text=True, env=cli_env(), timeout=120, check=False)
    assert refused.returncode != 0 and "--token-file" in refused.stderr  # no way to put it on the command line
    proc, base = start_server(index_copy, args=("--token-file", str(token_file), "--workers", "2"))
    try:
        assert secret not in command_lines()
        with httpx.Client(base_url=base, timeout=120) as http:
            good = {"Authorization": f"Bearer {secret}"}
            paper = {"id": "tok-1", "abstract": "A token test."}
            assert http.post("/papers", headers=good, json={"papers": [paper]}).status_code == 200
            assert http.delete("/papers/tok-1", headers=good).status_code == 200
            assert http.delete("/papers/tok-1", headers={"Authorization": f"Bearer {secret}x"}).status_code == 401
            assert http.post("/papers", headers={**good, "Content-Type": "application/json"}, content=b"{not json").status_code == 422
            assert http.get("/search", params={"q": secret}).status_code == 200
            assert http.get("/papers/" + secret).status_code == 404
    finally:
        stop_server(proc)
    logs = proc.stdout.read() + proc.stderr.read()
    assert "serving" in logs  # the logs were captured
    # The query and the id above are the client's own text; nothing else may carry the token.
    assert secret not in logs.replace(f"q={secret}", "").replace(f"/papers/{secret}", "")
    for file in index_copy.iterdir():
        assert secret.encode() not in file.read_bytes(), file


# --- file paths from requests ----------------------------------------------------------------

TRAVERSALS = [
    "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fREADME.md", "/static/..%5c..%5capp.py",
    "/static/%252e%252e%252fapp.py", "/static//etc/passwd", "/static/app.js%00.py", "/static/./app.js/../../app.py",
    "/papers/../../etc/passwd", "/papers/..%2f..%2f..%2fetc%2fpasswd", "/papers/%2fetc%2fpasswd",
    "/papers/....//....//etc/passwd", "/papers/..%252f..%252fetc%252fpasswd", "/papers/file:%2f%2f%2fetc%2fpasswd",
    "/papers/%2e%2e%2fapi%2fapp.py/similar",
    "/docs-assets/../core.py", "/docs-assets/..%2fcore.py", "/docs-assets/..%2f..%2f__init__.py",
    "/docs-assets/%2e%2e%2fconsts.py", "/docs-assets//etc/passwd", "/docs-assets/swagger-ui.css%00.py",
]


def test_no_route_serves_a_file_named_by_the_request(client):
    for path in TRAVERSALS:
        answer = client.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert "root:" not in answer.text and "import " not in answer.text, path


def test_an_uploaded_file_name_never_becomes_a_path(client, auth, tmp_path):
    target = tmp_path / "pwned.jsonl"
    for name in (f"../../../../..{target}", str(target), "..", "a\\..\\..\\b.csv", "x" * 1000 + ".jsonl"):
        answer = client.post("/papers", headers=auth,
                             files={"file": (name, b'{"id": "up-1", "abstract": "Uploaded abstract."}\n')})
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["data"][0]["id"] == "up-1"
        assert not target.exists()
    # FileResponse appears only in the page's and the docs' routers, which look names up in fixed tables.
    users = {p.name for p in (ROOT / "api").rglob("*.py") if "FileResponse(" in p.read_text()}
    assert users == {"page.py", "docs.py"}


# --- pickles --------------------------------------------------------------------------------

UNSAFE = [
    (r"\bimport pickle\b|\bfrom pickle\b|\bcPickle\b|\bdill\b|\bjoblib\b|\bshelve\b|\bmarshal\.loads?\(", "a pickle loader"),
    (r"torch\.load\((?![^)]*weights_only\s*=\s*True)", "torch.load without weights_only=True"),
    (r"allow_pickle\s*=\s*True", "numpy allow_pickle=True"),
    (r"read_pickle|yaml\.load\((?![^)]*SafeLoader)|\.unsafe_load\(", "an unsafe loader"),
]


def test_no_source_file_unpickles():
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            for pattern, what in UNSAFE:
                assert not re.search(pattern, text), f"{path.relative_to(ROOT)} uses {what}"


def test_index_files_and_the_model_are_not_pickles(bundled_index):
    from abstract_search.index.model_source import resolve_model

    assert (bundled_index / "papers.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"
    assert (bundled_index / "manifest.json").read_text().lstrip().startswith("{")
    head = (bundled_index / "vectors.faiss").read_bytes()[:4]
    assert head[0] != 0x80 and re.fullmatch(rb"I[A-Za-z0-9]{3}", head), head  # a FAISS fourcc, not a pickle
    model = Path(resolve_model(None).load_from)
    assert (model / "model.safetensors").exists()
    assert not [p.name for p in model.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")]


def test_nothing_is_unpickled_while_indexing_searching_and_serving(index_copy):
    """Every pickle entry point raises in a fresh process that loads, searches, adds, saves and reloads."""
    script = f"""
import pickle, _pickle
def refuse(*args, **kwargs):
    raise AssertionError("something tried to unpickle")
class Refuse:
    def __init__(self, *args, **kwargs):
        refuse()
pickle.load = pickle.loads = _pickle.load = _pickle.loads = refuse
pickle.Unpickler = _pickle.Unpickler = Refuse
from fastapi.testclient import TestClient
from abstract_search.api.app import create_app
from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from abstract_search.data.paper import Paper
engine = Engine(Settings(index={str(index_copy)!r}))
engine.add([Paper(id="pk-1", title="Pickles", abstract="No pickle is ever loaded by this engine.")])
assert engine.search("pickle loading", k=3).hits
engine.close()
with TestClient(create_app(Settings(index={str(index_copy)!r})), base_url="http://127.0.0.1") as client:
    assert client.get("/search", params={{"q": "pickle"}}).status_code == 200
    assert client.get("/papers/pk-1/similar").status_code == 200
print("ok")
"""
    ran = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=cli_env(), capture_output=True, text=True,
                         timeout=600, check=False)
    assert ran.returncode == 0 and ran.stdout.strip().endswith("ok"), ran.stderr[-3000:]


# --- CORS -----------------------------------------------------------------------------------

def preflight(client, origin):
    return client.options("/search", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})


def test_cors_is_off_unless_configured(index_copy):
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        assert "access-control-allow-origin" not in preflight(client, "http://evil.example").headers
        plain = client.get("/search", params={"q": "judges"}, headers={"Origin": "http://evil.example"})
        assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers
    configured = create_app(Settings(index=index_copy, cors_origins=["http://good.example"]))
    with TestClient(configured, base_url=LOCAL) as client:
        assert preflight(client, "http://good.example").headers["access-control-allow-origin"] == "http://good.example"
        assert "access-control-allow-origin" not in preflight(client, "http://evil.example").headers
