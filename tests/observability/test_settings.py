"""METRICS_PORT and LOG_FORMAT: clear errors for wrong values and for a missing `server` extra."""
from __future__ import annotations

import sys

import pytest

from base import ConfigError
from bot.logs import RedactSecrets, json_formatter
from bot.settings import load_settings
from ops.endpoints import observe
from router.core import ModelRouter


def test_an_empty_metrics_port_means_no_server_and_a_wrong_one_names_the_variable() -> None:
    assert load_settings(_env_file=None, metrics_port="").metrics_port is None
    assert load_settings(_env_file=None, metrics_port="9100").metrics_port == 9100
    with pytest.raises(ConfigError, match="METRICS_PORT"):
        load_settings(_env_file=None, metrics_port="70000")
    with pytest.raises(ConfigError, match="LOG_FORMAT.*text or json"):
        load_settings(_env_file=None, log_format="xml")


def test_metrics_without_the_server_extra_say_how_to_install_it(monkeypatch, tmp_path) -> None:
    monkeypatch.delitem(sys.modules, "ops.metrics", raising=False)
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if prometheus-client were not installed
    with pytest.raises(ConfigError, match=r"METRICS_PORT.*pip install 'dagi\[server\]'"):
        observe(ModelRouter({}), store=None)  # fails before the store is used


def test_json_logs_without_the_server_extra_say_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pythonjsonlogger.json", None)
    with pytest.raises(ConfigError, match=r"LOG_FORMAT=json.*pip install 'dagi\[server\]'"):
        json_formatter(RedactSecrets([]))
