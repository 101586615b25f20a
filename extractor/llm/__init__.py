"""The LLM client (openai + instructor + tenacity), rate limits and token accounting."""
