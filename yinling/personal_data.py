"""Finding personal data in free text (a reason, a note): identity numbers, telephone numbers,
e-mail addresses, and the names and contacts of the persons concerned, however they are
spaced or typed.

Defence in depth: free text that could hold personal data should not leave its service at
all. Before matching, the text is folded: NFKC (full-width digits, letters and punctuation
become ASCII), case-folded; digits are read across the separators people type between them
(spaces, ideographic spaces, - . / ( ) and their full-width forms), so `139-0000-1111`,
`１３９ ００００ １１１１` and `440705 19820214 3199` are the numbers they look like. Whole runs
of digits are classified, never substrings, so a date or an amount is not taken for a phone.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

IDENTITY_NUMBER = "identity number"
PHONE = "telephone number"
EMAIL = "e-mail address"
KNOWN = "a name or contact of the person concerned"

# Characters people put between digits of one number; NFKC has already made them ASCII.
_SEPARATORS = " \t-./()\u00a0\u3000\u2010\u2011\u2012\u2013\u2014\u2212\u30fb\u00b7"
_DIGIT_RUN = re.compile(rf"(?:\+?[0-9])(?:[{re.escape(_SEPARATORS)}]*[0-9xX])*")
_MOBILE = re.compile(r"(?:86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"(?:86)?0[1-9][0-9]{1,2}[2-9][0-9]{6,7}")
_IDENTITY = re.compile(r"[1-9][0-9]{16}[0-9x]|[1-9][0-9]{14}")
_AT = r"(?:\s*@\s*|\s*\(at\)\s*|\s*\[at\]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*\(dot\)\s*|\s*\[dot\]\s*|\s+dot\s+)"
_EMAIL = re.compile(rf"[a-z0-9][a-z0-9._%+-]*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}[a-z]{{2,}}")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _squeezed(text: str) -> str:
    """Letters and digits only: what is left of a name when spaces and dots are put between."""
    return "".join(c for c in fold(text) if c.isalnum())


def _number_kinds(folded: str) -> list[str]:
    found = []
    for run in _DIGIT_RUN.finditer(folded):
        digits = "".join(c for c in run.group() if c.isdigit() or c in "xX").lower()
        if _IDENTITY.fullmatch(digits):
            found.append(IDENTITY_NUMBER)
        elif _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
            found.append(PHONE)
    return found


def personal_data_in(text: str, known: Iterable[str] = ()) -> list[str]:
    """The kinds of personal data found in `text` (empty when none): numbers and addresses by
    their form, and any `known` value (names, numbers of the persons concerned) however spaced."""
    folded = fold(text)
    found = _number_kinds(folded)
    if _EMAIL.search(folded):
        found.append(EMAIL)
    squeezed = _squeezed(text)
    if any(len(k) >= 2 and k in squeezed for k in (_squeezed(value) for value in known)):
        found.append(KNOWN)
    return sorted(set(found))
