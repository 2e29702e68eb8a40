"""The one way to open the configured store (``service.store.open_store``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import ConfigError
from service.rdf import NamedNode, Quad, Vocab
from service.settings import Settings
from service.store import ChangeSet, open_store


def test_a_missing_directory_becomes_an_empty_store_for_serve(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "new", base_iri="http://example.org/")
    store = open_store(settings)
    try:
        assert store.count() == 0
    finally:
        store.close()
    assert (tmp_path / "new").is_dir()


def test_commands_that_read_a_store_refuse_a_missing_one(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "missing")
    with pytest.raises(ConfigError, match="run `parley build` first"):
        open_store(settings, must_exist=True)
    assert not (tmp_path / "missing").exists()


def test_a_store_built_for_another_base_iri_is_refused(tmp_path: Path) -> None:
    built = Vocab("http://one.example/")
    store = open_store(Settings(store_path=tmp_path / "s", base_iri=built.base), built)
    ontology = NamedNode(built.base + "ontology")
    store.commit(
        ChangeSet(
            insert=[
                Quad(
                    ontology,
                    NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    NamedNode("http://www.w3.org/2002/07/owl#Ontology"),
                    built.ontology_graph,
                )
            ]
        )
    )
    store.close()
    with pytest.raises(ConfigError, match=r"built for base IRI http://one\.example/"):
        open_store(Settings(store_path=tmp_path / "s", base_iri="http://two.example/"))
    reopened = open_store(Settings(store_path=tmp_path / "s", base_iri=built.base))
    reopened.close()
