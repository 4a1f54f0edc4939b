"""WebSettings from the environment, the SEARCH_ALLOW_PRIVATE rules, and which addresses count as public."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from base import ConfigError
from web import WebSettings, build_backends
from web.address import AllowList, is_public, parse_rule

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_safe_and_complete() -> None:
    settings = WebSettings.from_env({})
    assert settings.backends == ("searxng", "ddgs", "brave", "tavily")
    assert settings.searxng_url is None and settings.searxng_local is True
    assert settings.allow_private == ()
    assert settings.page_max_bytes == 2 * 1024 * 1024
    assert (settings.connect_timeout, settings.timeout) == (5.0, 15.0)


def test_environment_values_are_read() -> None:
    settings = WebSettings.from_env({
        "SEARXNG_URL": "http://searxng:8080/", "SEARXNG_LOCAL": "false", "SEARCH_BACKENDS": "Brave, searxng",
        "SEARCH_ALLOW_PRIVATE": "127.0.0.1, searxng:8080,10.0.0.0/8", "PAGE_MAX_BYTES": "4096",
        "SEARCH_CONNECT_TIMEOUT": "1.5", "SEARCH_TIMEOUT": "4", "BRAVE_API_KEY": "brv-secret-123",
    })
    assert settings.searxng_url == "http://searxng:8080" and settings.searxng_local is False
    assert settings.backends == ("brave", "searxng")
    assert settings.allow_private == ("127.0.0.1", "searxng:8080", "10.0.0.0/8")
    assert settings.page_max_bytes == 4096 and settings.connect_timeout == 1.5 and settings.timeout == 4
    assert "brv-secret-123" not in repr(settings)


@pytest.mark.parametrize(("env", "variable"), [
    ({"SEARCH_BACKENDS": "searxng,google"}, "SEARCH_BACKENDS"),
    ({"SEARXNG_URL": "searxng:8080"}, "SEARXNG_URL"),
    ({"SEARCH_ALLOW_PRIVATE": "127.0.0.1,not a host!"}, "SEARCH_ALLOW_PRIVATE"),
    ({"SEARCH_ALLOW_PRIVATE": "10.0.0.1:99999"}, "SEARCH_ALLOW_PRIVATE"),
    ({"PAGE_MAX_BYTES": "lots"}, "PAGE_MAX_BYTES"),
    ({"SEARCH_TIMEOUT": "0"}, "SEARCH_TIMEOUT"),
    ({"SEARXNG_LOCAL": "perhaps"}, "SEARXNG_LOCAL"),
])
def test_a_wrong_value_names_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        WebSettings.from_env(env)
    assert variable in str(err.value)


def test_an_unknown_backend_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="google.*searxng, ddgs, brave, tavily"):
        WebSettings.from_env({"SEARCH_BACKENDS": "google"})


def test_a_searxng_url_with_a_password_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as err:
        WebSettings.from_env({"SEARXNG_URL": "ftp://user:hunter2pass@searxng"})
    assert "hunter2pass" not in str(err.value)


def test_backends_without_their_config_are_skipped_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [b.name for b in build_backends(WebSettings())] == ["ddgs"]
    full = WebSettings(searxng_url="http://s:8080", brave_api_key="k1", tavily_api_key="k2",
                       backends=("tavily", "searxng", "brave", "ddgs"))
    assert [b.name for b in build_backends(full)] == ["tavily", "searxng", "brave", "ddgs"]
    assert [b.local for b in build_backends(full)] == [False, True, False, False]
    monkeypatch.setattr("web.search.ddgs_installed", lambda: False)  # no `search` extra
    assert [b.name for b in build_backends(full)] == ["tavily", "searxng", "brave"]
    remote = WebSettings(searxng_url="http://s:8080", searxng_local=False, backends=("searxng",))
    assert [b.local for b in build_backends(remote)] == [False]


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "::ffff:10.0.0.1", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
])
def test_private_loopback_link_local_multicast_and_reserved_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_global_unicast_addresses_are_public(address: str) -> None:
    assert is_public(address)


def test_allow_rules_match_host_address_network_and_port() -> None:
    allow = AllowList(["127.0.0.1:8080", "searxng", "10.0.0.0/8", "[::1]:9000", "intranet.lan:443"])
    assert allow.allows("127.0.0.1", "127.0.0.1", 8080)
    assert not allow.allows("127.0.0.1", "127.0.0.1", 8081)  # another port on loopback stays refused
    assert allow.allows("searxng", "172.18.0.5", 8080) and allow.allows("SearXNG.", "172.18.0.5", 80)
    assert not allow.allows("other", "172.18.0.5", 8080)
    assert allow.allows("x", "10.200.1.1", 1) and not allow.allows("x", "192.168.0.1", 1)
    assert allow.allows("x", "::1", 9000) and not allow.allows("x", "::1", 9001)
    assert allow.allows("intranet.lan", "192.168.1.9", 443) and not allow.allows("intranet.lan", "192.168.1.9", 80)
    assert not allow.allows("metadata", "169.254.169.254", 80)
    assert AllowList().allows("example.org", "93.184.216.34", 443)  # public needs no rule


@pytest.mark.parametrize("bad", ["", "a b", "http://x", "10.0.0.0/33", "[::1", "host:0", "under/score"])
def test_a_bad_allow_rule_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_rule(bad)


def test_docker_compose_runs_a_searxng_with_json_for_the_bot() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    searxng = compose["services"]["searxng"]
    bot = compose["services"]["bot"]
    assert bot["environment"]["SEARXNG_URL"] == "http://searxng:8080"
    assert "SEARXNG_SECRET" in searxng["environment"] and ":?" in searxng["environment"]["SEARXNG_SECRET"]
    assert "ports" not in searxng  # only the bot reaches it
    mount = next(v for v in searxng["volumes"] if v.endswith("/etc/searxng/settings.yml:ro"))
    settings = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    assert "json" in settings["search"]["formats"] and settings["server"]["limiter"] is False
    assert settings["use_default_settings"] is True
