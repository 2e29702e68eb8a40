"""The helpers that make the suite cheaper do what they say, and nothing else.

- The applications of a test process compile each page template once
  (``tests.compiled_templates``): a second application renders a page without compiling
  a template, and a template whose source changed is compiled again.
- The tests' HTTP clients share one TLS context (``tests.clients``), which still
  verifies certificates.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import jinja2
import pytest

from tests import clients
from tests.compiled_templates import SharedTemplates
from tests.support import clone_store, open_app


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from now on."""
    compiled: list[str] = []
    compile_template = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *a, **k):  # type: ignore[no-untyped-def]
        compiled.append(str(name))
        return compile_template(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def test_a_second_application_renders_a_page_without_compiling_its_templates(
    tmp_path: Path, built_store: Path, base_iri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _compiles(monkeypatch)

    def actor_page(n: int) -> str:
        site = open_app(clone_store(built_store, tmp_path / f"store-{n}"), base_iri)
        try:
            assert isinstance(site.app.jinja_env.bytecode_cache, SharedTemplates)
            with site.client() as http:
                return http.get("/id/Putin", headers={"Accept": "text/html"}).text
        finally:
            site.stop()

    first = actor_page(0)
    after_the_first = len(compiled)
    assert actor_page(1) == first
    assert len(compiled) == after_the_first  # the second application compiled nothing


def test_a_changed_template_is_compiled_again() -> None:
    shared = SharedTemplates()
    sources = {"page.html": "one {{ x }}"}
    loader = jinja2.FunctionLoader(lambda name: sources[name])
    first = jinja2.Environment(loader=loader, bytecode_cache=shared)
    assert first.get_template("page.html").render(x=1) == "one 1"
    sources["page.html"] = "two {{ x }}"
    second = jinja2.Environment(loader=loader, bytecode_cache=shared)
    assert second.get_template("page.html").render(x=2) == "two 2"


def test_the_shared_tls_context_verifies_certificates() -> None:
    context = clients.tls()
    assert context is clients.tls()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    with clients.client() as http:
        assert http._transport._pool._ssl_context is context  # type: ignore[attr-defined]
