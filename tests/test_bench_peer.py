"""bench/peer.py's conversion of LangExtract's extractions into contract records, and
bench/spec.py's variant syntax (the benches themselves run by hand against the real model)."""

from __future__ import annotations

from types import SimpleNamespace

from bench import peer, spec

TEXT = ("The Lanshui work meeting was held on Monday. Mayor Li Wen chaired it. Output grew "
        "8.2% last year. The city will add 120 smart factories.")


def _extraction(cls: str, text: str, **attributes: object) -> SimpleNamespace:
    start = TEXT.find(text)
    interval = SimpleNamespace(start_pos=start, end_pos=start + len(text)) if start >= 0 else None
    return SimpleNamespace(extraction_class=cls, extraction_text=text, char_interval=interval,
                           attributes=attributes)


def test_peer_records_take_the_sentence_of_their_span_as_evidence() -> None:
    records = peer.peer_records(TEXT, [
        _extraction("meeting", "Lanshui work meeting", name="Lanshui work meeting",
                    kind="work meeting", chaired_by="Li Wen, Zhou Min"),
        _extraction("official", "Li Wen", title="Mayor"),
        _extraction("target", "8.2%", metric="output growth", value="8.2", unit="%",
                    kind="actual"),
        _extraction("target", "120", metric="smart factories", unit="factories"),
        _extraction("initiative", "smart factories", name="Smart Factories"),
        _extraction("repair", "Lanshui work", repaired="Lanshui's work"),
    ])
    [meeting] = records["meetings"]
    assert meeting["evidence"] == "The Lanshui work meeting was held on Monday."
    assert meeting["chaired_by"] == ["Li Wen", "Zhou Min"]
    assert records["officials"][0]["evidence"] == "Mayor Li Wen chaired it."
    assert [(t["value"], t["unit"]) for t in records["targets"]] == [(8.2, "%"),
                                                                    (120.0, "factories")]
    assert records["initiatives"][0]["mentions"] == ["smart factories"]
    assert records["repairs"][0]["repaired"] == "Lanshui's work"


def test_peer_records_skip_what_cannot_be_read() -> None:
    records = peer.peer_records(TEXT, [
        _extraction("target", "many", metric="factories"),  # no number
        _extraction("repair", "Lanshui"),  # no repaired form
        _extraction("unknown class", "Lanshui"),
    ])
    assert all(not rows for rows in records.values())


def test_an_unaligned_span_is_its_own_evidence() -> None:
    [official] = peer.peer_records(TEXT, [_extraction("official", "Zhang San")])["officials"]
    assert official["evidence"] == "Zhang San"


def test_spec_variant_syntax() -> None:
    assert spec.parse_variant("plain=") == ("plain", 1, "")
    assert spec.parse_variant("two=slots=2 --spec-type ngram-simple") == (
        "two", 2, "--spec-type ngram-simple")
