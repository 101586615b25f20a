"""Model servers: the embedded llama-server, replayed cassettes, and which to use."""
