"""Which model server a run talks to: replayed cassettes, the embedded server, or a URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from extractor.backends.local_server import running_server
from extractor.backends.replay import REPLAY_BASE_URL
from extractor.config import Settings


class BackendURL(str):
    """The base URL to call (a plain string everywhere), plus the backend's liveness hook.

    ``ensure_alive`` is set for the embedded server only: the batch calls it when an article
    could not reach the server; it returns True after restarting a dead server (retry the
    article), False when the server is up, and raises LocalModelError when it died again.
    """

    ensure_alive: Callable[[], bool] | None = None

    @classmethod
    def make(cls, url: str, ensure_alive: Callable[[], bool] | None = None) -> BackendURL:
        value = cls(url)
        value.ensure_alive = ensure_alive
        return value


@contextmanager
def open_backend(settings: Settings, *, replay: bool,
                 echo: Callable[[str], None]) -> Iterator[BackendURL]:
    """Yield the base URL to call; the embedded server lives exactly as long as the block."""
    if replay:
        echo(f"Replaying recorded exchanges (model {settings.model}); no model server is called")
        yield BackendURL.make(settings.base_url or REPLAY_BASE_URL)
    elif settings.embedded:
        with running_server(echo) as server:
            yield BackendURL.make(server.base_url, getattr(server, "ensure_alive", None))
    else:
        echo(f"Using model {settings.model} at {settings.display_base_url} "
             f"(instructor mode {settings.mode.name})")
        yield BackendURL.make(str(settings.base_url))
