"""Deterministic steps after the model: assembling, repairs, rules, finalize."""
