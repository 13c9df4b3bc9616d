"""Cross-site writes: a hostile page in the user's own Chromium, served from another loopback port, tries to
plant and delete papers on a token-less loopback server (a text/plain form, no-cors fetches, multipart), and a
DNS-rebinding request names a foreign Host. Nothing may change; the server's own clients still write.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time

import httpx
import pytest

from tests.api.conftest import free_port, start_server, stop_server
from tests.api.test_page import downloads, driver  # noqa: F401  (the headless Chromium fixture)

HOSTILE_PAGE = """<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="plain" action="{target}/papers" method="POST" enctype="text/plain" target="sink">
  <input name='{{"papers": [{{"id": "csrf-form", "abstract": "planted by a form", "x": "' value='"}}]}}'>
</form>
<script>
const target = "{target}";
const paper = id => JSON.stringify({{papers: [{{id: id, abstract: "planted by " + id}}]}});
document.getElementById("plain").submit();
fetch(target + "/papers", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
                            body: paper("csrf-fetch")}}).catch(() => {{}});
const form = new FormData();
form.append("file", new Blob(['{{"id": "csrf-multipart", "abstract": "planted by multipart"}}\\n']), "p.jsonl");
fetch(target + "/papers", {{method: "POST", mode: "no-cors", body: form}}).catch(() => {{}});
fetch(target + "/papers/{victim}", {{method: "DELETE", mode: "no-cors"}}).catch(() => {{}});
fetch(target + "/papers/{victim}", {{method: "DELETE"}}).catch(() => {{}});
setTimeout(() => {{ document.title = "done"; }}, 1500);
</script></body></html>"""


@pytest.fixture
def hostile_site(tmp_path):
    """Serve tmp_path on another loopback port; yield (directory, base URL)."""
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{port}"
    server.shutdown()


def test_a_page_of_another_origin_cannot_write(driver, hostile_site, index_copy):  # noqa: F811
    folder, site = hostile_site
    proc, base = start_server(index_copy)  # loopback, no token: writable from this machine
    victim = "j1-incentivizing-thinking-in-llm-as-a-judge"
    try:
        (folder / "hostile.html").write_text(HOSTILE_PAGE.format(target=base, victim=victim), encoding="utf-8")
        driver.get(f"{site}/hostile.html")
        deadline = time.time() + 20
        while driver.title != "done" and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # let the last requests land
        with httpx.Client(base_url=base, timeout=60) as http_client:
            for planted in ("csrf-form", "csrf-fetch", "csrf-multipart"):
                assert http_client.get(f"/papers/{planted}").status_code == 404, f"{planted} was planted"
            assert http_client.get(f"/papers/{victim}").status_code == 200, "the hostile page deleted a paper"
            # The same requests, as the server sees them, and their answers.
            body = '{"papers": [{"id": "csrf-x", "abstract": "planted"}]}'
            foreign = http_client.post("/papers", content=body, headers={"Origin": site, "Content-Type": "application/json"})
            assert foreign.status_code == 403 and "cross-site" in foreign.json()["detail"]
            plain = http_client.post("/papers", content=body, headers={"Content-Type": "text/plain"})
            assert plain.status_code == 415 and "text/plain" in plain.json()["detail"]
            # DNS rebinding: a name the attacker controls, pointed at 127.0.0.1.
            rebound = http_client.delete(f"/papers/{victim}", headers={"Host": "attacker.example"})
            assert rebound.status_code == 400
            assert http_client.get("/search", params={"q": "judges"}, headers={"Host": "attacker.example"}).status_code == 400
            # The server's own page and local clients still write.
            own = http_client.post("/papers", content=body, headers={"Origin": base, "Content-Type": "application/json"})
            assert own.status_code == 200
            assert http_client.delete("/papers/csrf-x", headers={"Host": "localhost"}).status_code == 200
    finally:
        stop_server(proc)
