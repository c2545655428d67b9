"""PRC resident identity numbers (GB 11643-1999) and the keyed pseudonyms derived from them.

A pseudonym is HMAC-SHA256 under a secret key: stable for the same person, and without the
key nobody can recompute it from a guessed identity number (the space is small enough to
enumerate, so a plain hash would not protect anyone)."""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import unicodedata
from datetime import date
from functools import lru_cache

from yinling.errors import ValidationError

log = logging.getLogger(__name__)

KEY_ENV = "YINLING_PSEUDONYM_KEY"
DEV_KEY = "yinling-development-pseudonym-key-do-not-use-in-production"
PREFIX = "psn-"
DIGEST_HEX = 32  # 128 bits: no collisions among a city's talents, short enough to read

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"


def normalise_identity_number(text: str) -> str:
    # Full-width digits and a lower-case x are common in forms typed by hand.
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").upper()


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_identity_number(text: str, field: str = "person.identity_number") -> str:
    """Return the normalised number or raise naming the field. Never echoes the value."""
    number = normalise_identity_number(text)
    if not number:
        raise ValidationError(field, "is required")
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(field, "must be 18 characters: 17 digits and a check digit or X")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(field, "does not contain a valid birth date") from None
    if check_character(number[:17]) != number[17]:
        raise ValidationError(field, "check digit does not match (ISO 7064 MOD 11-2)")
    return number


def normalise_name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


@lru_cache(maxsize=1)
def pseudonym_key() -> bytes:
    key = os.environ.get(KEY_ENV, "")
    if not key:
        log.warning("!!! %s is not set: using the fixed DEVELOPMENT pseudonym key. Pseudonyms "
                    "made with it can be reversed by anyone who reads the source. Set a secret "
                    "key in production. !!!", KEY_ENV)
        key = DEV_KEY
    return key.encode()


def pseudonym(subject: str, key: bytes | None = None) -> str:
    digest = hmac.new(key or pseudonym_key(), subject.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGEST_HEX]


def person_subject(identity_number: str) -> str:
    return "person:" + identity_number


def team_subject(leader_identity_number: str, team_name: str) -> str:
    """A team registers under its leader and its name: the same leader may lead two teams."""
    return f"team:{leader_identity_number}:{normalise_name(team_name)}"
