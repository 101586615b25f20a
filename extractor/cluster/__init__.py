"""Past one machine: the Ray engine (``extractor run --engine ray``: workers each writing a
shard database), merging shards into one database (``extractor ingest``), checking that every
input article is stored (``extractor verify``), and OpenAI-format Batch APIs
(``extractor batch submit|status|collect``).

Only the CLI imports this package; it uses the pipeline and the store, which never import it
(pyproject.toml's import contracts). Ray is imported only by ``ray_engine`` (the optional
``cluster`` extra)."""
