"""getFile as Telegram's cloud answers it (a relative path, served over HTTP, up to 20 MB) or as a Bot API server in
--local mode does (an absolute path on its disk, up to 2000 MB, nothing served over HTTP): see `serve_locally`."""
from __future__ import annotations

from pathlib import Path

from bot.testing.state import _ApiError, _Bot, _FakeState

MB = 1024 * 1024
CLOUD_LIMIT = 20 * MB  # Telegram's cloud Bot API serves bots files up to 20 MB
LOCAL_LIMIT = 2000 * MB  # a local server (telegram-bot-api --local) up to 2000 MB


class _Files(_FakeState):
    """getFile; in local mode the file is written under the server's working directory, as the real one keeps it."""

    local_root: Path | None = None  # set by serve_locally: the server's working directory

    def serve_locally(self, root: Path) -> None:
        """Act as `telegram-bot-api --local` with working directory `root` (the bot needs TELEGRAM_API_LOCAL=true)."""
        self.local_root = root

    async def _m_getfile(self, bot: _Bot, params: dict) -> dict:
        file_id = str(params.get("file_id"))
        if file_id not in bot.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        content, path = bot.files[file_id]
        size = bot.sizes.get(file_id, len(content))
        if size > (CLOUD_LIMIT if self.local_root is None else LOCAL_LIMIT):
            raise _ApiError(400, "Bad Request: file is too big")
        if self.local_root is not None:
            path = self._on_disk(bot, content, path)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size, "file_path": path}

    def _on_disk(self, bot: _Bot, content: bytes, relative: str) -> str:
        """<root>/<token>/<relative>, written at the first getFile (the real server downloads it then)."""
        if Path(relative).is_absolute():
            return relative  # a test put it on the disk itself
        token = next(t for t, b in self._bots.items() if b is bot)
        assert self.local_root is not None
        path = self.local_root / token / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return str(path.resolve())
