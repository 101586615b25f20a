"""extractor: LLM-assisted structured extraction and translation repair for garbled
machine translations of Chinese municipal industrial-policy news."""

__version__ = "0.1.0"
