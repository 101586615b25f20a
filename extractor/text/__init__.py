"""Pure text functions: articles, candidates, numbers and quantities, dates, grounding, names."""
