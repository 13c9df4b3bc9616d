"""The search page in a real headless Chromium, against a real `abstracts serve` process."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import bibtexparser
import httpx
import pytest
import rispy

from tests.api.conftest import TOKEN

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
JUDGE_TITLES = {
    "Self-Taught Evaluators",
    "J1: Incentivizing Thinking in LLM-as-a-Judge via Reinforcement Learning",
    "Meta-Rewarding Language Models: Self-Improving Alignment with LLM-as-a-Meta-Judge",
}
WAIT_S = 60  # the first query on a cold server loads the model


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    """The folder the browser saves downloads (exports) to."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(tmp_path_factory, downloads):
    """One headless Chromium for this module, with a fresh profile and the network off: every host but this
    machine goes through a proxy that does not exist, so anything the pages loaded from elsewhere would fail."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: run `make browser` (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--proxy-server=http://127.0.0.1:9",  # Chromium sends loopback addresses direct, past any proxy
    ):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    browser.set_page_load_timeout(WAIT_S)
    yield browser
    browser.quit()


@pytest.fixture
def page(driver, live_server):
    """The driver with its console log emptied; fails the test on any script error the page logged."""
    driver.get_log("browser")
    yield driver
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and not expected_failure(e["message"])]
    assert not errors, f"the page logged errors: {errors}"


def expected_failure(text: str) -> bool:
    """Return whether a console line is the browser noting an HTTP error answer a test asked for."""
    return "Failed to load resource" in text and re.search(r"status of (404|422)", text) is not None


def wait_for_view(driver, stale=None):
    """Wait until a request settled: results or a message shown, nothing loading (and `stale` replaced)."""
    def settled(d):
        if stale is not None and not EC.staleness_of(stale)(d):
            return False
        if "loading" in (d.find_element(By.TAG_NAME, "body").get_attribute("class") or ""):
            return False
        return bool(d.find_elements(By.CSS_SELECTOR, "#results .result")) or d.find_element(By.ID, "message").is_displayed()
    wait(driver, settled)


def wait(driver, condition, timeout: float = WAIT_S):
    """Wait for a condition, retrying while the page swaps the elements it reads."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def results_of(driver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, "#results .result")


def titles(driver) -> list[str]:
    return [r.find_element(By.CSS_SELECTOR, ".title").text for r in results_of(driver)]


def params(driver) -> dict[str, list[str]]:
    return parse_qs(urlparse(driver.current_url).query)


def search(driver, text: str) -> None:
    """Type a question into the box and submit it."""
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()


def requests_to(driver, path: str) -> list[str]:
    """Return the URLs the page fetched whose path starts with `path`."""
    urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [u for u in urls if urlparse(u).path.startswith(path)]


def test_search_shows_results_with_highlights_and_keeps_the_query_in_the_url(page, live_server, tmp_path):
    page.get(live_server + "/")
    search(page, "papers on LLM judges")
    wait_for_view(page)
    shown = titles(page)
    assert JUDGE_TITLES & set(shown), shown
    assert params(page)["q"] == ["papers on LLM judges"]
    first = results_of(page)[0]
    for part in (".authors", ".year", ".score", ".snippet"):
        assert first.find_element(By.CSS_SELECTOR, part).text.strip()
    assert re.fullmatch(r"-?\d+\.\d{3}", first.find_element(By.CSS_SELECTOR, ".score").text)
    assert first.find_element(By.CSS_SELECTOR, ".match").text == "strong match"
    assert first.find_element(By.CSS_SELECTOR, ".categories").text == "cs.CL"
    assert re.search(r"50 papers pass the filters · \d+ ms$", page.find_element(By.ID, "summary").text)
    assert not page.find_element(By.ID, "caution").is_displayed()
    marks = page.find_elements(By.CSS_SELECTOR, "#results .snippet mark")
    assert marks and all(m.text.strip() for m in marks)
    page.save_screenshot(str(tmp_path / "search.png"))


def test_similar_link_shows_other_papers_and_back_forward_work(page, live_server):
    page.get(live_server + "/?q=papers+on+LLM+judges")
    wait_for_view(page)
    first = results_of(page)[0]
    clicked = first.find_element(By.CSS_SELECTOR, ".title").text
    first.find_element(By.CSS_SELECTOR, "a.similar").click()
    wait_for_view(page, stale=first)
    assert "similar" in params(page)
    similar = titles(page)
    assert similar and clicked not in similar
    assert page.find_element(By.ID, "q").get_attribute("value") == ""  # a similar view is no question

    page.back()
    wait_for_view(page)
    assert params(page).get("q") == ["papers on LLM judges"]
    wait(page, lambda d: titles(d) and titles(d)[0] == clicked)
    assert page.find_element(By.ID, "q").get_attribute("value") == "papers on LLM judges"

    page.forward()
    wait(page, lambda d: "similar" in params(d) and titles(d) and clicked not in titles(d))


def test_a_shared_url_runs_its_search_with_the_year_filter(page, live_server):
    page.get(live_server + "/?q=dialogue+safety&year_max=2019")
    wait_for_view(page)
    years = [r.find_element(By.CSS_SELECTOR, ".year").text for r in results_of(page)]
    assert years and all(int(y) <= 2019 for y in years), years
    assert page.find_element(By.ID, "year-max").get_attribute("value") == "2019"
    assert page.find_element(By.ID, "q").get_attribute("value") == "dialogue safety"


def test_year_range_with_no_papers_says_so(page, live_server):
    page.get(live_server + "/?q=papers+on+LLM+judges&year_min=1900&year_max=1901")
    wait_for_view(page)
    message = page.find_element(By.ID, "message")
    assert "No papers" in message.text
    assert "no paper from the years 1900-1901" in message.text  # the server says which filter matched nothing
    assert "error" not in (message.get_attribute("class") or "")
    assert not results_of(page)


def test_empty_query_is_refused_in_the_page_without_a_request(page, live_server):
    page.get(live_server + "/")
    search(page, "   ")
    wait(page, EC.visibility_of_element_located((By.CSS_SELECTOR, "#message.error")))
    assert "Type a question" in page.find_element(By.ID, "message").text
    assert not results_of(page)
    assert not requests_to(page, "/search")
    assert "q=" not in page.current_url


def test_server_errors_show_the_servers_detail(page, live_server):
    page.get(live_server + "/?similar=no-such-paper")
    wait(page, EC.visibility_of_element_located((By.CSS_SELECTOR, "#message.error")))
    assert "no paper with id 'no-such-paper'" in page.find_element(By.ID, "message").text


def test_pasted_abstract_finds_related_papers(page, live_server):
    page.get(live_server + "/")
    page.find_element(By.ID, "paste-toggle").click()
    text = page.find_element(By.ID, "paste-text")
    assert text.is_displayed() and not page.find_element(By.ID, "q").is_displayed()
    text.send_keys(
        "We train a large language model to act as a judge of other models' answers, "
        "using reinforcement learning so that it reasons before giving a verdict."
    )
    text.send_keys(Keys.CONTROL, Keys.ENTER)
    wait_for_view(page)
    assert results_of(page)
    assert requests_to(page, "/similar")
    pasted = params(page).get("paste")
    assert pasted and pasted[0].startswith("We train a large language model to act as a judge")
    shown = titles(page)
    page.refresh()  # the pasted text is in the URL, so the view survives a reload or a shared link
    wait_for_view(page)
    assert page.find_element(By.ID, "paste-text").get_attribute("value") == pasted[0]
    assert titles(page) == shown


def test_titles_and_abstracts_from_the_server_are_shown_as_text(page, live_server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    title = "<img src=x onerror=alert(1)>"
    abstract = "An abstract about LLM judges and evaluation with <script>alert(2)</script> inside."
    added = httpx.post(
        f"{live_server}/papers", headers=auth, timeout=120,
        json={"papers": [{"id": "xss-1", "title": title, "abstract": abstract}]},
    )
    assert added.status_code == 200, added.text
    try:
        page.get(live_server + "/")
        search(page, abstract)
        wait_for_view(page)
        assert title in titles(page)
        assert not page.find_elements(By.CSS_SELECTOR, "#results img, #results script")
        assert any("<script>alert(2)</script>" in s.text for s in page.find_elements(By.CSS_SELECTOR, ".snippet"))
        with pytest.raises(NoAlertPresentException):
            page.switch_to.alert  # noqa: B018
    finally:
        httpx.delete(f"{live_server}/papers/xss-1", headers=auth, timeout=120)


def test_static_files_come_from_a_fixed_list_and_load_nothing_from_elsewhere(live_server):
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        answer = httpx.get(f"{live_server}/static/{name}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
    for path in ("/static/index.html", "/static/..%2Fapp.py", "/static/%2e%2e/routes/page.py", "/static/../app.py"):
        assert httpx.get(live_server + path).status_code == 404, path
    for file in STATIC.iterdir():
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", file.read_text()), f"{file.name} refers to another host"


def test_titles_link_to_the_paper_in_a_new_tab_where_a_link_is_known(page, live_server, tmp_path):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    papers = [{"id": "2503.19092", "title": "Linked paper on LLM judges of judges",
               "abstract": "We study LLM judges of LLM judges and their evaluation biases."},
              {"id": "link-2", "title": "Scripted link on LLM judges", "url": "javascript:alert(3)",
               "abstract": "Another study of LLM judges and evaluation, whose link is a script."}]
    assert httpx.post(f"{live_server}/papers", headers=auth, json={"papers": papers}, timeout=120).status_code == 200
    try:
        page.get(live_server + "/")
        search(page, "LLM judges of LLM judges evaluation biases")
        wait_for_view(page)
        by_id = {r.get_attribute("data-id"): r for r in results_of(page)}
        link = by_id["2503.19092"].find_element(By.CSS_SELECTOR, ".title a")
        assert link.get_attribute("href") == "https://arxiv.org/abs/2503.19092"
        assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
        assert link.text == papers[0]["title"]
        assert not by_id["link-2"].find_elements(By.CSS_SELECTOR, ".title a")  # no script address, no link
        seed = next(r for i, r in by_id.items() if i not in ("2503.19092", "link-2"))
        assert not seed.find_elements(By.CSS_SELECTOR, ".title a")  # the seed format has no links: none invented
        page.save_screenshot(str(tmp_path / "links.png"))
    finally:
        for paper in papers:
            httpx.delete(f"{live_server}/papers/{paper['id']}", headers=auth, timeout=120)


def wait_for_download(folder: Path, name: str) -> Path:
    """Return the downloaded file once the browser has finished writing it."""
    path = folder / name
    WebDriverWait(None, WAIT_S).until(lambda _: path.is_file() and not list(folder.glob("*.crdownload")))
    return path


def test_filters_and_mode_live_in_the_url_and_in_the_form(page, live_server, tmp_path):
    page.get(live_server + "/?q=language+models&author=weston&category=cs.AI&year_min=2024&mode=lexical")
    wait_for_view(page)
    form = {name: page.find_element(By.ID, name).get_attribute("value") for name in ("author", "category", "mode",
                                                                                     "year-min")}
    assert form == {"author": "weston", "category": "cs.AI", "mode": "lexical", "year-min": "2024"}
    rows = results_of(page)
    assert rows and all("cs.AI" in r.find_element(By.CSS_SELECTOR, ".categories").text for r in rows)
    assert all(int(r.find_element(By.CSS_SELECTOR, ".year").text) >= 2024 for r in rows)
    asked = parse_qs(urlparse(requests_to(page, "/search")[-1]).query)
    assert asked["mode"] == ["lexical"] and asked["author"] == ["weston"] and asked["category"] == ["cs.AI"]
    options = [o.get_attribute("value") for o in page.find_elements(By.CSS_SELECTOR, "#category option")]
    assert {"", "cs.CL", "cs.AI", "cs.LG"} <= set(options)  # the index's own categories, from /stats
    page.find_element(By.CSS_SELECTOR, "#mode option[value=dense]").click()
    page.find_element(By.ID, "author").clear()
    page.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait(page, lambda d: params(d).get("mode") == ["dense"] and "author" not in params(d))
    assert params(page)["category"] == ["cs.AI"] and params(page)["year_min"] == ["2024"]
    page.save_screenshot(str(tmp_path / "filters.png"))


def test_a_query_with_no_strong_match_says_so_above_the_closest_papers(page, live_server, tmp_path):
    page.get(live_server + "/?q=xqzjvk+wplm")
    wait_for_view(page)
    caution = page.find_element(By.ID, "caution")
    assert caution.is_displayed() and "No strong match" in caution.text
    assert {r.find_element(By.CSS_SELECTOR, ".match").text for r in results_of(page)} == {"weak match"}
    assert not page.find_element(By.ID, "more").is_displayed()  # paging stops where nothing matches
    page.save_screenshot(str(tmp_path / "caution.png"))


def test_results_download_as_bibtex_ris_csv_and_json_lines(page, live_server, downloads):
    page.get(live_server + "/?q=papers+on+LLM+judges")
    wait_for_view(page)
    shown = [r.get_attribute("data-id") for r in results_of(page)]
    for format, name in (("bibtex", "abstract-search.bib"), ("ris", "abstract-search.ris"),
                         ("csv", "abstract-search.csv"), ("jsonl", "abstract-search.jsonl")):
        for old in downloads.iterdir():
            old.unlink()
        page.find_element(By.CSS_SELECTOR, f".export-as[data-format={format}]").click()
        text = wait_for_download(downloads, name).read_text(encoding="utf-8")
        if format == "bibtex":
            library = bibtexparser.parse_string(text)
            assert [e.key for e in library.entries] == shown and not library.failed_blocks
            assert library.entries[0]["title"] == titles(page)[0]
        elif format == "ris":
            assert [r["id"] for r in rispy.loads(text)] == shown
        elif format == "csv":
            lines = text.splitlines()
            assert lines[0].startswith("rank,id,title") and len(lines) == len(shown) + 1
        else:
            assert [json.loads(line)["id"] for line in text.splitlines()] == shown


def test_ticked_papers_give_more_like_these(page, live_server, tmp_path):
    page.get(live_server + "/?q=papers+on+LLM+judges")
    wait_for_view(page)
    rows = results_of(page)
    ticked = [rows[0].get_attribute("data-id"), rows[2].get_attribute("data-id")]
    assert not page.find_element(By.ID, "selection").is_displayed()
    rows[0].find_element(By.CSS_SELECTOR, ".pick").click()
    rows[2].find_element(By.CSS_SELECTOR, ".pick").click()
    assert page.find_element(By.ID, "selected-count").text == "2 selected"
    page.save_screenshot(str(tmp_path / "ticked.png"))
    page.find_element(By.ID, "more-like").click()
    wait_for_view(page, stale=rows[0])
    assert params(page)["similar"] == ticked
    shown = [r.get_attribute("data-id") for r in results_of(page)]
    assert shown and not set(ticked) & set(shown)
    assert requests_to(page, "/similar")
    page.refresh()  # the set is in the URL
    wait_for_view(page)
    assert [r.get_attribute("data-id") for r in results_of(page)] == shown


def test_api_docs_work_with_the_network_off(page, live_server, tmp_path):
    page.get(live_server + "/docs")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))
    assert "abstract-search" in page.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    paths = {e.text for e in page.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/search", "/similar", "/papers"} <= paths
    hosts = {urlparse(u).hostname for u in page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
    page.save_screenshot(str(tmp_path / "docs.png"))
