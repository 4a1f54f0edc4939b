"""The size caps an operator configures: the Bot API server's limit, MAX_FILE_MB below it, KB_MAX_FILE_MB."""
from __future__ import annotations

import pytest

from base import ConfigError
from bot.settings import load_settings
from bot.turn.file_limits import MB, FileLimits, over
from rag.settings import KnowledgeSettings


def limits(kb_mb: int | None = 50, **settings: object) -> FileLimits:
    return FileLimits.from_settings(load_settings(_env_file=None, **settings), kb_mb)


def test_telegrams_cloud_serves_20_mb_whatever_the_other_caps_say() -> None:
    assert limits() == FileLimits(download=20, document=20, image=20, audio=20)
    assert limits(max_file_mb=100) == limits()  # MAX_FILE_MB only lowers


def test_a_local_server_takes_2000_mb_with_a_cap_per_kind() -> None:
    assert limits(telegram_api_local=True) == FileLimits(download=2000, document=50, image=50, audio=2000)
    assert limits(kb_mb=300, telegram_api_local=True).document == 300
    assert limits(kb_mb=None, telegram_api_local=True).document == 2000  # no knowledge base: the server's limit


def test_max_file_mb_lowers_every_kind() -> None:
    assert limits(telegram_api_local=True, max_file_mb=10) == FileLimits(download=10, document=10, image=10, audio=10)
    assert limits(telegram_api_local=True, max_file_mb="") == limits(telegram_api_local=True)  # MAX_FILE_MB= (unset)


@pytest.mark.parametrize("value", ["0", "2001", "lots"])
def test_a_wrong_max_file_mb_stops_the_start_naming_it(value: str) -> None:
    with pytest.raises(ConfigError, match="MAX_FILE_MB.*1 to 2000"):
        load_settings(_env_file=None, max_file_mb=value)


def test_kb_max_file_mb_is_read_from_the_environment(tmp_path) -> None:
    assert KnowledgeSettings.from_env({}, tmp_path).max_file_mb == 50
    assert KnowledgeSettings.from_env({"KB_MAX_FILE_MB": "200"}, tmp_path).max_bytes == 200 * MB
    with pytest.raises(ConfigError, match="KB_MAX_FILE_MB"):
        KnowledgeSettings.from_env({"KB_MAX_FILE_MB": "0"}, tmp_path)


def test_exactly_the_cap_fits() -> None:
    assert not over(20 * MB, 20) and over(20 * MB + 1, 20) and not over(None, 20)
