"""The project's errors, one root: the CLI turns any ExtractorError into a clean message and
its ``exit_code``; anything else is a bug and keeps its traceback."""

from __future__ import annotations


class ExtractorError(Exception):
    """Root of every error the project raises on purpose."""

    exit_code = 1


class ConfigError(ExtractorError, ValueError):
    """The configuration is unusable (bad URL, unknown mode, missing key for a remote API)."""

    exit_code = 2


class NotFoundError(ExtractorError, LookupError):
    """A database, run or file the command was asked about does not exist (nothing is created)."""


class EvaluationError(ExtractorError, ValueError):
    """Gold annotations that are missing, unreadable or about none of the stored articles."""


class ArticleError(ExtractorError, ValueError):
    """An input file cannot be used as an article (the message names the file)."""


class StorageError(ExtractorError, RuntimeError):
    """The database cannot be opened or written."""


class LocalModelError(ExtractorError, RuntimeError):
    """The embedded model or server is missing or failed to start."""


class LLMError(ExtractorError, RuntimeError):
    """A stage's LLM call failed after all retries."""


class ReplayMissError(LLMError):
    """Replay mode found no recorded exchange for a request."""


class TokenBudgetExceededError(LLMError):
    """The article spent its ``max_tokens_per_article``; no further call is made for it."""


class BadResponseError(ExtractorError, RuntimeError):
    """The server answered 2xx with a body that is not JSON (empty, cut short, garbage)."""
