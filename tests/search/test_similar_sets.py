"""Related work from a set: several papers (and texts) taken together, less what is like the --not papers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from abstract_search.api.app import create_app
from abstract_search.api.settings import Settings
from tests.api.conftest import LOCAL
from tests.conftest import cli_json, run_cli


def ids(results) -> list[str]:
    return [hit.paper.id for hit in results.hits]


def test_a_set_less_its_negatives_through_the_engine_the_cli_and_http(engine, index_copy):
    a, b, c = ids(engine.search("LLM as a judge evaluation", 3, mode="dense"))
    liked = engine.similar([a, b], 10, mode="dense")
    assert not {a, b} & set(ids(liked)) and len(liked.hits) == 10 and liked.total == engine.count() - 2
    pushed = engine.similar([a, b], 10, mode="dense", not_ids=[c])
    assert c not in ids(pushed) and pushed.total == engine.count() - 3
    # the negative pushes its own neighbours down: its nearest paper ranks lower than without it
    near_c = next(i for i in ids(engine.similar(c, 10, mode="dense")) if i not in {a, b})
    before = ids(liked).index(near_c) if near_c in ids(liked) else 99
    after = ids(pushed).index(near_c) if near_c in ids(pushed) else 99
    assert after >= before
    with_text = engine.similar([a], 5, texts=["Dialogue safety and toxic language in chatbots."])
    assert a not in ids(with_text) and len(with_text.hits) == 5

    cli = cli_json("similar", a, b, "--not", c, "--index", str(index_copy), "--mode", "dense", "-k", "10")
    assert [r["id"] for r in cli["results"]] == ids(pushed)
    lonely = run_cli("similar", "--not", c, "--index", str(index_copy))
    assert lonely.returncode == 1 and "--not needs paper ids" in lonely.stderr
    with TestClient(create_app(Settings(index=index_copy)), base_url=LOCAL) as client:
        http = client.post("/similar", json={"ids": [a, b], "not_ids": [c], "mode": "dense", "k": 10}).json()
        assert [r["id"] for r in http["results"]] == ids(pushed)
        missing = client.post("/similar", json={"ids": [a, "no-such-paper"]})
        assert missing.status_code == 404 and "no-such-paper" in missing.json()["detail"]
        assert client.post("/similar", json={"not_ids": [c]}).status_code == 422
        assert client.post("/similar", json={"k": 3}).status_code == 422
        assert client.post("/similar", json={"text": "Judging answers of language models."}).status_code == 200
