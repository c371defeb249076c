"""The app's frame: OpenAPI at the usual place, the web page at /, JSON without NaN."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from relex.api.app import WEB, FiniteJSONResponse


def test_openapi_lists_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in (
        "/api/runs",
        "/api/renders/heatmap",
        "/api/selection",
        "/api/cypher",
        "/api/jobs",
    ):
        assert route in paths
    assert "404" in paths["/api/top-neurons"]["get"]["responses"]


def test_the_web_page_is_served_at_the_root(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.text == (WEB / "index.html").read_text(encoding="utf-8")


def test_non_finite_floats_go_out_as_null() -> None:
    body = FiniteJSONResponse({"a": [1.0, float("nan")], "b": {"c": float("inf")}}).body
    assert json.loads(body) == {"a": [1.0, None], "b": {"c": None}}
