"""Scoring stored results against gold annotations (imported only by the CLI)."""
