from __future__ import annotations

from pathlib import Path

from extractor.jsonschemas import schema_documents, schema_hash, write_schemas
from tests.conftest import ROOT


def test_committed_schemas_match_models() -> None:
    """Fails when schemas/ drifts from the Pydantic models: run `extractor schemas`."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "schemas").glob("*.json")}
    generated = schema_documents()
    assert set(committed) == set(generated), "run `extractor schemas` to regenerate schemas/"
    for name, text in generated.items():
        assert committed[name] == text, f"schemas/{name} is stale: run `extractor schemas`"


def test_write_schemas_and_hash_is_stable(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert {p.name for p in written} == set(schema_documents())
    assert schema_hash() == schema_hash() and len(schema_hash()) == 16


def test_contract_fields_exist_in_schemas() -> None:
    from extractor.models import CONTRACT_FIELDS, SCHEMA_MODELS

    by_name = {m.__name__: m for m in SCHEMA_MODELS}
    table_model = {"meetings": "Meeting", "officials": "Official", "initiatives": "Initiative",
                   "targets": "QuantitativeTarget", "repairs": "Repair"}
    for table, fields in CONTRACT_FIELDS.items():
        assert set(fields) <= set(by_name[table_model[table]].model_fields), table
