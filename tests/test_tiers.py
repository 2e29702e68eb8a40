"""The fast tier (``-m "not server"``) starts no server.

tests/conftest.py marks a test ``server`` when it uses a fixture that starts a real
server or runs on the remote backend, and lets only marked tests start one
(``tests.support.allow_servers``): a test that starts one unmarked fails, so the
marker cannot fall behind. This test is not marked, so it meets the guard.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import free_port, start_oxigraph, start_server


def test_a_test_not_marked_server_cannot_start_one(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    assert request.node.get_closest_marker("server") is None
    with pytest.raises(RuntimeError, match="not marked `server` starts `parley serve`"):
        start_server(tmp_path / "store", port=free_port(), log_dir=tmp_path)
    with pytest.raises(RuntimeError, match="not marked `server` starts `oxigraph serve`"):
        start_oxigraph(tmp_path / "oxigraph", port=free_port(), log_dir=tmp_path)
    assert not (tmp_path / "store").exists()  # refused before anything was made
