"""cnnviz.store: entries appear whole or not at all, and the first writer wins."""

from __future__ import annotations

from cnnviz.store import Store


def test_an_entry_is_read_back_as_written(tmp_path):
    store = Store(tmp_path / "store")
    assert store.get("k") is None
    assert store.put("k", {"a.bin": b"\x00\x01", "plan.json": b"{}"})
    assert store.read("k") == {"a.bin": b"\x00\x01", "plan.json": b"{}"}


def test_a_second_writer_keeps_the_first_entry_and_leaves_no_temporary_folder(tmp_path):
    store = Store(tmp_path / "store")
    assert store.put("k", {"x": b"first"})
    assert not store.put("k", {"x": b"second"})
    assert store.read("k") == {"x": b"first"}
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["k"]


def test_a_store_that_cannot_be_written_is_not_an_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    store = Store(tmp_path / "file" / "store")
    assert store.put("k", {"x": b"1"}) is False
    assert store.get("k") is None
