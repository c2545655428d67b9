"""What the feed's Atom documents must be: well-formed XML, parsed by feedparser as Atom 1.0
without complaint, and holding every element RFC 4287 requires of a feed and of its entries
(4.1.1, 4.1.2: id, title, updated; an author; ids unique; a self link)."""
from __future__ import annotations

from datetime import datetime

import feedparser
from lxml import etree

A = "{http://www.w3.org/2005/Atom}"


def check_atom(body: bytes) -> list[dict[str, str]]:
    """The entries, newest first, as {id, title, updated, content}; asserts conformance."""
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = etree.fromstring(body)   # raises on any XML that is not well-formed
    assert root.tag == f"{A}feed"
    for element in (root, *root.findall(f"{A}entry")):
        for required in ("id", "title", "updated"):
            found = element.findall(f"{A}{required}")
            assert len(found) == 1 and (found[0].text or "").strip(), (required, element.tag)
        datetime.fromisoformat(element.findtext(f"{A}updated") or "")
    assert root.find(f"{A}author/{A}name") is not None
    assert [link.get("rel") for link in root.findall(f"{A}link")].count("self") == 1
    entries = [{"id": e.findtext(f"{A}id") or "", "title": e.findtext(f"{A}title") or "",
                "updated": e.findtext(f"{A}updated") or "", "content": e.findtext(f"{A}content") or ""}
               for e in root.findall(f"{A}entry")]
    assert len({e["id"] for e in entries}) == len(entries)
    return entries
