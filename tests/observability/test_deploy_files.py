"""deploy/grafana/dagi.json and deploy/prometheus.yml match the metrics the code registers; metrics load lazily."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from ops.metrics import PrometheusMetrics
from router.core import ModelRouter

ROOT = Path(__file__).resolve().parent.parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "dagi.json"


def panels(board: dict) -> list[dict]:
    """Every panel, those inside rows too."""
    found = []
    for panel in board["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return found


def exprs(board: dict) -> list[str]:
    return [t["expr"] for p in panels(board) for t in p.get("targets", [])]


def test_every_dashboard_query_uses_metrics_the_bot_registers() -> None:
    board = json.loads(DASHBOARD.read_text())
    registered = PrometheusMetrics(ModelRouter({})).names()
    queries = exprs(board)
    assert len(queries) >= 12
    for expr in queries:
        used = set(re.findall(r"\bdagi_[a-z0-9_]+", expr))
        assert used, expr
        assert used <= registered, f"{expr}: {used - registered} is not registered"
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids))
    # The data source docker-compose provisions (deploy/grafana/provisioning/datasources).
    provisioned = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    assert all(p["datasource"]["uid"] == uid for p in panels(board) if p["type"] != "row")


def test_the_dashboard_shows_what_an_operator_asks_for() -> None:
    """Messages/s, p50/p95 per stage, local share, cost per day, 429s and breakers."""
    text = "\n".join(exprs(json.loads(DASHBOARD.read_text())))
    assert 'dagi_updates_total{type="message"}' in text
    for q in ("0.5", "0.95"):
        assert f"histogram_quantile({q}, sum by (le, stage) (rate(dagi_stage_seconds_bucket" in text
    assert 'local="true"' in text and "dagi_model_calls_total" in text
    assert "increase(dagi_model_cost_usd_total[1d])" in text
    assert "dagi_telegram_429_total" in text and "dagi_circuit_state" in text


def test_prometheus_scrapes_the_port_the_bot_serves_metrics_on() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "dagi"]
    assert job["metrics_path"] == "/metrics"
    [sd] = job["dns_sd_configs"]
    bot = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["bot"]
    assert sd["names"] == ["bot"] and str(sd["port"]) == str(bot["environment"]["METRICS_PORT"])


def test_metrics_and_json_logs_load_only_when_switched_on() -> None:
    """Start-up is measured: prometheus-client and python-json-logger stay unimported in a default bot."""
    code = ("import sys, bot.app, bot.services, bot.logs\n"
            "print(sorted(m for m in ('prometheus_client', 'pythonjsonlogger', 'ops.metrics') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
