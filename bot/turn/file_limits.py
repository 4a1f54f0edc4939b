"""How big a file the bot takes: what its Bot API server serves, lowered by MAX_FILE_MB, with a cap per kind."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

MB = 1024 * 1024  # Telegram's "20 MB" is 20 MiB: getFile refuses 20 * 1024 * 1024 + 1 bytes
CLOUD_MB = 20  # Telegram's cloud Bot API serves bots files up to 20 MB
LOCAL_MB = 2000  # a Bot API server in --local mode serves them up to 2000 MB
# Photos are downscaled at once and MAX_PIXELS bounds their decoding; a bigger file is a print scan, not a question.
IMAGE_MB = 50


@dataclass(frozen=True, slots=True)
class FileLimits:
    """Megabytes per kind of file; each at most `download`, what this deployment's Bot API server lets it fetch."""

    download: int = CLOUD_MB  # the server's limit, or MAX_FILE_MB when lower
    document: int = CLOUD_MB  # a knowledge-base file: held and parsed in memory (KB_MAX_FILE_MB)
    image: int = CLOUD_MB
    audio: int = CLOUD_MB  # VOICE_MAX_SECONDS already bounds a recording's length: its size follows the server

    @classmethod
    def of(cls, *, local: bool, max_mb: int | None = None, kb_mb: int | None = None) -> FileLimits:
        """The caps for a cloud or local server, the operator's MAX_FILE_MB and the knowledge base's own cap."""
        server = LOCAL_MB if local else CLOUD_MB
        download = min(server, max_mb) if max_mb else server
        return cls(download=download, document=min(download, kb_mb or download), image=min(download, IMAGE_MB),
                   audio=download)

    @classmethod
    def from_settings(cls, settings: Settings, kb_mb: int | None = None) -> FileLimits:
        """TELEGRAM_API_LOCAL and MAX_FILE_MB; `kb_mb` is KB_MAX_FILE_MB (None: no knowledge base)."""
        return cls.of(local=settings.telegram_api_local, max_mb=settings.max_file_mb, kb_mb=kb_mb)


def over(size: int | None, mb: int) -> bool:
    """Whether a file of `size` bytes (as Telegram states it; None = not stated) is over `mb` megabytes."""
    return (size or 0) > mb * MB
