"""Which representation a client asked for: browsers get HTML, everything else JSON."""
from __future__ import annotations

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
