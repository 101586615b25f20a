"""The batch: stages, their prompts, the stage cache, offloading, the writer, status."""
