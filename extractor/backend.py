"""Which model server a run talks to: replayed cassettes, the embedded server, or a URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from extractor.config import Settings
from extractor.local_server import running_server
from extractor.replay import REPLAY_BASE_URL


@contextmanager
def open_backend(settings: Settings, *, replay: bool, echo: Callable[[str], None]) -> Iterator[str]:
    """Yield the base URL to call; the embedded server lives exactly as long as the block."""
    if replay:
        echo(f"Replaying recorded exchanges (model {settings.model}); no model server is called")
        yield settings.base_url or REPLAY_BASE_URL
    elif settings.embedded:
        with running_server(echo) as server:
            yield server.base_url
    else:
        echo(f"Using model {settings.model} at {settings.display_base_url} "
             f"(instructor mode {settings.mode.name})")
        yield str(settings.base_url)
