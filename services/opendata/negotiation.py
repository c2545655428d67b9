"""Which representation a client asked for: browsers get HTML, everything else JSON."""
from __future__ import annotations

from collections.abc import Sequence

from yinling.xlsx_export import MEDIA_TYPE as XLSX

HTML = "text/html"
JSON = "application/json"


def _weights(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *options = [p.strip() for p in part.split(";")]
        if not media:
            continue
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media.lower()] = max(quality, weights.get(media.lower(), 0.0))
    return weights


def prefers_html(accept: str | None) -> bool:
    """True only when text/html is named and weighs more than JSON; a bare */* (curl, httpx,
    scripts) keeps the machine-readable index, as before the page existed."""
    weights = _weights(accept or "")
    html = weights.get(HTML, 0.0)
    json = weights.get(JSON, 0.0)
    return html > 0 and html > json


def best(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client weighs most (ties: the first offered), None when it
    accepts none of them; no Accept header accepts anything (RFC 9110 12.5.1)."""
    if not accept or not accept.strip():
        return offered[0] if offered else None
    weights = _weights(accept)

    def quality(media: str) -> float:
        major = media.split("/")[0]
        for key in (media, f"{major}/*", "*/*"):
            if key in weights:
                return weights[key]
        return 0.0

    scored = [(quality(m), -n, m) for n, m in enumerate(offered)]
    q, _, media = max(scored)
    return media if q > 0 else None


def wants_xlsx(accept: str | None) -> bool:
    """A dataset's JSON route answers XLSX when Accept weighs it above JSON (a spreadsheet
    program asking for the dataset); anything else keeps JSON, as before."""
    return best(accept, (JSON, XLSX)) == XLSX
