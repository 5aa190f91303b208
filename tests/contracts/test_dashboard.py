"""The Grafana dashboard shows the metrics the service really exports, and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from service.observability import metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "sfsync-dashboard.json"
SERIES = re.compile(r"\bsfsync_[a-z0-9_]+")
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


def exported_series() -> set[str]:
    """Every series name the service's registry can expose (a labelled counter may have no samples yet)."""
    names = set()
    for family in metrics.REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in panels(dashboard) for t in p["targets"]]


def test_every_series_on_the_dashboard_is_exported(dashboard: dict[str, Any]) -> None:
    used = {name for expr in expressions(dashboard) for name in SERIES.findall(expr)}
    unknown = used - exported_series()
    assert not unknown, f"the dashboard queries series service/observability/metrics.py does not export: {unknown}"


def test_every_exported_metric_is_on_the_dashboard(dashboard: dict[str, Any]) -> None:
    text = " ".join(expressions(dashboard))
    missing = [f.name for f in metrics.REGISTRY.collect() if f.name not in text]
    assert not missing, f"metrics with no panel: {missing}"


def test_queries_use_the_prometheus_datasource_variable(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_queries_are_well_formed(dashboard: dict[str, Any]) -> None:
    for expr in expressions(dashboard):
        for left, right in ("()", "{}", "[]"):
            assert expr.count(left) == expr.count(right), expr
        assert expr.count('"') % 2 == 0, expr


def test_panels_have_unique_ids_and_do_not_overlap(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    taken: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])}
        assert not cells & taken, f"panel {panel['title']!r} overlaps another"
        taken |= cells
