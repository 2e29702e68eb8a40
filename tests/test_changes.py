"""``GET /changes``: every accepted write as an entry, as a JSON or Atom feed a reader
resumes (``since=``), a page for a person, and a live stream of Server-Sent Events
(``Last-Event-ID``).

The feeds are oldest first; ``since=ID`` means "after this entry". A reader that resumes
after the last entry it read gets every write exactly once: across pages, with writes
landing between them, and for two writes that end in the same microsecond. The stream
is checked on a real server (Granian and the request-wide middleware must not hold its
events back), on both backends; the stream limit (503) and the store poll (a write no
listener here heard of) in-process.
"""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from service.editing import ChangeStreams, changes_after, latest_cursor
from service.errors import TooManyStreamsError
from service.rdf import PROV, RDF, RDFS, XSD, Literal, NamedNode, Quad, Vocab
from service.store import ChangeSet, OxigraphStore
from tests.browser import chromium
from tests.support import AppSite, ServerProcess, open_app

ATOM = "{http://www.w3.org/2005/Atom}"
COMMENT = RDFS.comment.value
EVENTS = {"Accept": "text/event-stream"}


def write(http: httpx.Client, site: AppSite | ServerProcess, note: str) -> str:
    """One accepted write (a comment on Putin in graph/editorial); its record's IRI."""
    response = http.post(
        "/data",
        params={"graph": site.url + "graph/editorial"},
        content=f'<{site.url}id/Putin> <{COMMENT}> "{note}" .'.encode(),
        headers={"Content-Type": "text/turtle", **site.auth()},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["record"])


def feed(http: httpx.Client, **params: str) -> dict[str, object]:
    response = http.get("/changes", params={"format": "json", **params})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    found: dict[str, object] = response.json()
    return found


def ids(page: dict[str, object]) -> list[str]:
    entries = page["entries"]
    assert isinstance(entries, list)
    return [str(e["id"]) for e in entries]


@pytest.fixture
def http(private_site: AppSite) -> Iterator[httpx.Client]:
    with private_site.client() as client:
        yield client


# -- the feeds --------------------------------------------------------------------------


def test_the_json_feed_lists_each_write_oldest_first_with_its_editor_time_and_links(
    private_site: AppSite, http: httpx.Client
) -> None:
    assert feed(http)["entries"] == []  # a built store: no write yet
    records = [write(http, private_site, f"note {n}") for n in range(3)]
    page = feed(http)
    assert ids(page) == records
    assert page["more"] is False
    assert page["next"] is None
    assert page["last"] == records[-1]
    entries = page["entries"]
    assert isinstance(entries, list)
    first = entries[0]
    base = private_site.url
    assert first["record"]["href"] == "/" + records[0].removeprefix(base)
    assert first["editor"]["iri"].startswith(base + "id/")
    assert first["editor"]["label"]  # the name recorded with the write, or the local name
    assert first["operation"] == "POST /data"
    assert first["ended"] >= first["started"]
    assert [e["ended"] for e in entries] == sorted(e["ended"] for e in entries)
    assert [g["iri"] for g in first["graphs"]] == [base + "graph/editorial"]
    assert (first["added"], first["removed"]) == (1, 0)
    putin = {"iri": base + "id/Putin", "label": "Vladimir Putin", "href": "/id/Putin"}
    assert first["subjectsAdded"] == {"total": 1, "top": [putin]}
    assert first["subjectsRemoved"] == {"total": 0, "top": []}


def test_the_editor_is_named_by_the_label_provenance_gives_its_agent(
    private_site: AppSite, http: httpx.Client
) -> None:
    record = write(http, private_site, "named")
    agent = feed(http)["entries"][0]["editor"]["iri"]  # type: ignore[index]
    store = private_site.services.store
    provenance = private_site.services.vocab.provenance_graph
    named = Quad(NamedNode(agent), RDFS.label, Literal("Ana Editor"), provenance)
    store.commit(ChangeSet(delete=list(store.quads(NamedNode(agent), RDFS.label)), insert=[named]))
    entry = feed(http)["entries"][0]  # type: ignore[index]
    assert (entry["id"], entry["editor"]["label"]) == (record, "Ana Editor")


def test_a_reader_resuming_after_the_last_entry_it_read_gets_every_write_once(
    private_site: AppSite, http: httpx.Client
) -> None:
    """Seven writes read three at a time, each page after the last id of the one before;
    an eighth write lands between two pages."""
    written = [write(http, private_site, f"resume {n}") for n in range(7)]
    read: list[str] = []
    since = ""
    pages = 0
    while True:
        page = feed(http, limit="3", **({"since": since} if since else {}))
        read += ids(page)
        since = str(page["last"])
        pages += 1
        if pages == 2:
            written.append(write(http, private_site, "between pages"))
        if not page["more"]:
            assert page["next"] is None
            break
        query = urlencode({"since": since, "limit": "3", "format": "json"})
        assert page["next"] == f"{private_site.url}changes?{query}"
    assert read == written  # every one, once, in the order written
    assert pages == 3
    assert feed(http, since=since)["entries"] == []  # nothing after the last: none again


def test_the_next_link_is_the_page_after_this_one(
    private_site: AppSite, http: httpx.Client
) -> None:
    written = [write(http, private_site, f"next {n}") for n in range(3)]
    response = http.get("/changes", params={"format": "json", "limit": "2"})
    following = response.json()["next"]
    assert response.headers["Link"] == f'<{following}>; rel="next"'
    assert ids(http.get(following).json()) == written[2:]


def test_two_writes_that_end_in_the_same_microsecond_are_each_read_once(
    private_site: AppSite, http: httpx.Client
) -> None:
    """Ordered by their record IRIs; one page at a time, each is read once."""
    vocab = private_site.services.vocab
    graph = vocab.provenance_graph
    ended = Literal("2030-01-01T00:00:00.000001Z", datatype=XSD.dateTime)
    records = [NamedNode(f"{graph.value}#write-tie-{side}") for side in ("b", "a")]
    quads = [
        quad
        for record in records
        for quad in (
            Quad(record, RDF.type, vocab.parley.WriteRecord, graph),
            Quad(record, PROV.endedAtTime, ended, graph),
            Quad(record, PROV.startedAtTime, ended, graph),
            Quad(record, PROV.wasAssociatedWith, vocab.id["agent/tie"], graph),
        )
    ]
    private_site.services.store.commit(ChangeSet(insert=quads))
    first = feed(http, limit="1")
    second = feed(http, limit="1", since=str(first["last"]))
    third = feed(http, limit="1", since=str(second["last"]))
    assert ids(first) + ids(second) == sorted(r.value for r in records)
    assert third["entries"] == []
    assert second["entries"][0]["editor"]["label"] == "tie"  # type: ignore[index]


def test_the_atom_feed_is_rfc_4287_with_a_next_link(
    private_site: AppSite, http: httpx.Client
) -> None:
    written = [write(http, private_site, f"atom {n}") for n in range(3)]
    response = http.get(
        "/changes", params={"limit": "2"}, headers={"Accept": "application/atom+xml"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == private_site.url + "changes"
    assert root.findtext(f"{ATOM}updated")
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == written[:2]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}author/{ATOM}name")
    assert entry.findtext(f"{ATOM}updated")
    assert "Vladimir Putin" in (entry.findtext(f"{ATOM}summary") or "")
    alternate = entry.find(f"{ATOM}link[@rel='alternate']")
    assert alternate is not None
    assert alternate.get("href") == written[0]
    following = root.find(f"{ATOM}link[@rel='next']")
    assert following is not None
    rest = ET.fromstring(http.get(str(following.get("href"))).content)
    assert [e.findtext(f"{ATOM}id") for e in rest.findall(f"{ATOM}entry")] == written[2:]
    assert rest.find(f"{ATOM}link[@rel='next']") is None


@pytest.mark.parametrize(
    ("accept", "query", "media_type"),
    [
        ("application/json", {}, "application/json"),
        ("application/atom+xml", {}, "application/atom+xml"),
        ("text/html", {}, "text/html"),
        ("*/*", {}, "text/html"),
        ("text/html", {"format": "atom"}, "application/atom+xml"),
        ("text/event-stream", {"format": "json"}, "application/json"),
    ],
)
def test_the_answer_is_negotiated_by_accept_or_format(
    http: httpx.Client, accept: str, query: dict[str, str], media_type: str
) -> None:
    response = http.get("/changes", params=query, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"since": "not-an-id"}, 400),
        ({"since": "http://example.org/unknown"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": "501"}, 400),
        ({"before": "http://example.org/x>", "format": "html"}, 400),
        ({"format": "event-stream"}, 406),
    ],
)
def test_a_bad_parameter_is_a_problem(
    http: httpx.Client, query: dict[str, str], status: int
) -> None:
    response = http.get("/changes", params=query, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"


# -- the page ---------------------------------------------------------------------------


def test_the_page_lists_the_writes_newest_first_and_opens_the_stream_after_the_newest(
    private_site: AppSite, http: httpx.Client
) -> None:
    written = [write(http, private_site, f"page {n}") for n in range(3)]
    soup = BeautifulSoup(http.get("/changes").text, "html.parser")
    assert soup.h1 is not None
    assert soup.h1.get_text() == "Latest changes"
    items = soup.select("#changes > li.change")
    links = [str(li.select_one(".change-head a")["href"]) for li in items]  # type: ignore[index]
    assert links == ["/" + r.removeprefix(private_site.url) for r in reversed(written)]
    assert "Vladimir Putin" in items[0].get_text()
    stream = urlsplit(str(soup.select_one("#changes")["data-stream"]))  # type: ignore[index]
    assert (stream.path, parse_qs(stream.query)) == ("/changes", {"since": [written[-1]]})
    assert soup.select_one("script[src='/static/changes.js']") is not None
    assert soup.select_one("link[rel=alternate][type='application/atom+xml']") is not None


def test_without_script_the_page_goes_back_a_page_at_a_time(
    private_site: AppSite, http: httpx.Client
) -> None:
    written = [write(http, private_site, f"back {n}") for n in range(3)]
    soup = BeautifulSoup(http.get("/changes", params={"before": written[-1]}).text, "html.parser")
    links = [str(a["href"]) for a in soup.select("#changes .change-head > a:first-child")]
    assert links == ["/" + r.removeprefix(private_site.url) for r in reversed(written[:-1])]
    assert not soup.select("#changes[data-stream]")  # back in time: nothing live
    assert "/changes" in [str(a["href"]) for a in soup.select("nav.pager a")]


def test_home_links_to_all_changes(http: httpx.Client) -> None:
    soup = BeautifulSoup(http.get("/").text, "html.parser")
    section = soup.select_one("section[aria-labelledby=h-changes]")
    assert section is not None
    assert "/changes" in [str(a["href"]) for a in section.select("a")]


def test_every_visitor_reaches_the_changes_from_the_menu(http: httpx.Client) -> None:
    """The page is public: the menu links to it for everyone; adding a source is an
    editor's (this visitor has not signed in)."""
    soup = BeautifulSoup(http.get("/search?q=Putin").text, "html.parser")
    menu = [str(a["href"]) for a in soup.select("header nav a")]
    assert "/changes" in menu
    assert "/sources/new" not in menu


# -- the stream -------------------------------------------------------------------------


@dataclass
class Event:
    """One block of a ``text/event-stream`` (the fields of the standard's parser)."""

    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    retry: int | None = None
    comments: list[str] = field(default_factory=list)


def events(response: httpx.Response) -> Iterator[Event]:
    """The blocks of a stream as they arrive (a blank line ends each)."""
    block = Event()
    for line in response.iter_lines():
        if line == "":
            yield block
            block = Event()
        elif line.startswith(":"):
            block.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                block.data.append(value)
            elif name == "id":
                block.id = value
            elif name == "event":
                block.event = value
            elif name == "retry":
                block.retry = int(value)


def next_change(stream: Iterator[Event]) -> Event:
    return next(e for e in stream if e.event == "change")


def take_out(http: httpx.Client, site: ServerProcess, notes: list[str]) -> None:
    """The session server's data as it was (its provenance keeps the writes)."""
    triples = " ".join(f'<{site.url}id/Putin> <{COMMENT}> "{n}" .' for n in notes)
    response = http.post(
        "/sparql",
        content=f"DELETE DATA {{ GRAPH <{site.url}graph/editorial> {{ {triples} }} }}",
        headers={"Content-Type": "application/sparql-update", **site.auth()},
    )
    assert response.status_code in (200, 204), response.text


def test_the_stream_delivers_a_write_made_after_the_client_connected_and_replays_what_it_missed(
    server: ServerProcess,
) -> None:
    """On a real server: an event arrives while the request is still open (nothing holds
    it back), and a client that comes back with ``Last-Event-ID`` gets what it missed."""
    token = uuid.uuid4().hex
    notes = [f"stream {token} {n}" for n in range(3)]
    with server.client() as http:
        try:
            with http.stream("GET", "/changes", headers=EVENTS) as response:
                assert response.status_code == 200
                assert response.headers["Content-Type"].startswith("text/event-stream")
                assert response.headers["Cache-Control"] == "no-cache"
                stream = events(response)
                opening = next(stream)  # connected: what comes now was written after
                assert opening.retry is not None
                record = write(http, server, notes[0])
                change = next_change(stream)
            assert change.id == record
            assert '"id":"' + record + '"' in change.data[0]
            missed = [write(http, server, note) for note in notes[1:]]
            with http.stream(
                "GET", "/changes", headers={**EVENTS, "Last-Event-ID": record}
            ) as again:
                stream = events(again)
                replayed = [next_change(stream).id, next_change(stream).id]
            assert replayed == missed
        finally:
            take_out(http, server, notes)


def test_a_stream_starts_after_last_event_id_else_since_and_empty_since_is_the_first(
    private_site: AppSite, http: httpx.Client
) -> None:
    """In-process (the WSGI answer is read as it is made): where each stream begins."""
    written = [write(http, private_site, f"start {n}") for n in range(3)]

    def first_two(headers: dict[str, str], **params: str) -> list[str | None]:
        with http.stream("GET", "/changes", params=params, headers=headers) as response:
            assert response.status_code == 200
            stream = events(response)
            return [next_change(stream).id, next_change(stream).id]

    assert first_two(EVENTS, since="") == written[:2]
    assert first_two(EVENTS, since=written[0]) == written[1:]
    resumed = {**EVENTS, "Last-Event-ID": written[0]}
    assert first_two(resumed, since=written[2]) == written[1:]  # the header wins


def test_the_page_shows_a_new_write_live_in_a_browser(server: ServerProcess) -> None:
    """Chromium on the page: ``static/changes.js`` puts a write made after the page was
    shown at the top of the list, as the server writes an entry, without a reload."""
    note = f"live {uuid.uuid4().hex}"
    with chromium() as browser, server.client() as http:
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            assert page.goto(server.url + "changes") is not None
            page.wait_for_selector("#changes-live:not([hidden])")  # the stream is open
            shown = page.locator("#changes > li").count()
            record = write(http, server, note)
            page.locator("#changes > li").nth(shown).wait_for()  # one more (no eval: CSP)
            newest = page.locator("#changes > li").first
            assert newest.locator(".change-head > a").first.get_attribute("href") == (
                "/" + record.removeprefix(server.url)
            )
            assert "Vladimir Putin" in newest.inner_text()
            assert "1 statement added, 0 removed" in newest.inner_text()
            assert not errors
            page.close()  # the stream's place is freed by the next write (take_out's)
        finally:
            take_out(http, server, [note])


def test_past_the_stream_limit_the_answer_is_503_with_retry_after(
    store_copy: Path, base_iri: str
) -> None:
    site = open_app(store_copy, base_iri, query_workers=0, max_change_streams=1)
    try:
        held = site.services.changes.open(None)
        with site.client() as http:
            refused = http.get("/changes", headers=EVENTS)
            assert refused.status_code == 503
            assert refused.headers["Retry-After"].isdigit()
            assert refused.json()["type"].endswith("/problems/too-many-streams")
            assert http.get("/changes", headers={"Accept": "application/json"}).status_code == 200
            held.close()
            with http.stream("GET", "/changes", headers=EVENTS) as response:
                assert response.status_code == 200  # its place is free again
                assert next(events(response)).retry is not None
        assert site.services.changes.open_streams == 0  # closing the answer freed it
    finally:
        site.stop()


def test_a_stream_hears_a_write_no_listener_told_it_of(tmp_path: Path) -> None:
    """A write another replica made on a shared store reaches this process's streams by
    the poll: here a record committed straight to the store, past the writer."""
    vocab = Vocab("http://parley.test/")
    store = OxigraphStore.open(None, vocab)
    streams = ChangeStreams(store, vocab, max_streams=1, poll_s=0.05, lifetime_s=30)
    stream = streams.open(None)
    received: list[bytes] = []
    chunks = iter(stream)
    received.append(next(chunks))  # connected, from now
    graph = vocab.provenance_graph
    record = NamedNode(graph.value + "#write-elsewhere")
    when = Literal("2030-01-01T00:00:00Z", datatype=XSD.dateTime)
    store.commit(
        ChangeSet(
            insert=[
                Quad(record, RDF.type, vocab.parley.WriteRecord, graph),
                Quad(record, PROV.endedAtTime, when, graph),
                Quad(record, PROV.wasAssociatedWith, vocab.id["agent/replica"], graph),
            ]
        )
    )
    done = threading.Event()

    def read() -> None:
        for chunk in chunks:
            received.append(chunk)
            if chunk.startswith(b"id: "):
                break
        done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    done.wait()
    stream.close()
    assert received[-1].startswith(f"id: {record.value}\n".encode())
    assert streams.open_streams == 0
    assert latest_cursor(store) is not None
    assert [e.id for e in changes_after(store, vocab, None).entries] == [record.value]


def test_the_stream_limit_is_a_limit_of_the_hub(tmp_path: Path) -> None:
    vocab = Vocab("http://parley.test/")
    streams = ChangeStreams(OxigraphStore.open(None, vocab), vocab, max_streams=2)
    first, second = streams.open(None), streams.open(None)
    with pytest.raises(TooManyStreamsError):
        streams.open(None)
    first.close()
    first.close()  # twice: still one place freed
    third = streams.open(None)
    assert streams.open_streams == 2
    second.close()
    third.close()
    assert streams.open_streams == 0
