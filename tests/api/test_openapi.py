"""The OpenAPI document: every $ref resolves, and every request body the routes take is described."""

from __future__ import annotations

import jsonschema
import pytest


def dangling_refs(document: dict) -> list[str]:
    """Return every local $ref in the document that points at nothing."""
    found: list[str] = []

    def resolve(ref: str) -> bool:
        node = document
        for part in ref.removeprefix("#/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def walk(node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and not resolve(ref):
                found.append(ref)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def test_the_check_finds_a_dangling_reference():
    document = {"components": {"schemas": {"A": {"type": "object"}}},
                "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PapersIn"}}}}}}}}
    assert dangling_refs(document) == ["#/components/schemas/PapersIn"]
    assert dangling_refs({**document, "components": {"schemas": {"PapersIn": {}}}}) == []


def test_the_served_document_has_no_dangling_reference_and_valid_schemas(client):
    document = client.get("/openapi.json").json()
    assert dangling_refs(document) == []
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)  # each component is a valid JSON Schema
    body = document["paths"]["/papers"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    papers = body["application/json"]["schema"]
    assert papers["required"] == ["papers"] and papers["properties"]["papers"]["minItems"] == 1


@pytest.mark.parametrize("path", ["/search", "/similar", "/embed"])
def test_each_json_body_is_a_registered_model(client, path):
    document = client.get("/openapi.json").json()
    schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].split("/")[-1] in document["components"]["schemas"]
