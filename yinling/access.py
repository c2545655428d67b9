"""Which caller may call which method: each service declares a Rule per method, and the
server's interceptor (yinling.grpc_server) checks it before the servicer runs.

A rule names the scope the method needs (None: anyone, anonymous included) and whether it
writes. A token limited to districts (a district steward's) may write only what lies in
them: every district a request names (fields `district` and `territory`, a correction of the
field `district`) and the district of every stored record it names (through the service's
lookups, e.g. `platform_id` -> the platform's district), batches included. Moving an
enterprise touches both its districts. A method whose request spans districts in ways that
cannot be checked (a whole reported table) is `city_wide`: district tokens may not call it.
A method without a rule is refused to everyone: a new method is closed until declared.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from google.protobuf.message import Message
from sqlalchemy.orm import Session, sessionmaker

from yinling.auth import ANONYMOUS, Authenticator, Caller
from yinling.errors import Forbidden, Unauthenticated

DISTRICT_FIELDS = ("district", "territory")
# field name -> the district of the stored record that value names (None if there is none)
DistrictLookup = Callable[[Session, str], str | None]


@dataclass(frozen=True)
class Rule:
    scope: str | None = None
    write: bool = False
    city_wide: bool = False


PUBLIC = Rule()


def read(scope: str) -> Rule:
    return Rule(scope)


def write(scope: str, city_wide: bool = False) -> Rule:
    return Rule(scope, write=True, city_wide=city_wide)


@dataclass(frozen=True)
class Policy:
    """The rules of one gRPC service, by method name, and its district lookups."""
    rules: Mapping[str, Rule]
    lookups: Mapping[str, DistrictLookup] = field(default_factory=dict)


def touched_districts(request: Message, lookups: Mapping[str, DistrictLookup],
                      session: Session | None) -> set[str]:
    found: set[str] = set()
    present = {d.name: v for d, v in request.ListFields()}
    if present.get("field") == "district" and present.get("value"):
        found.add(present["value"])  # a correction of the district names the new one
    for descriptor, value in request.ListFields():
        name = descriptor.name
        if descriptor.message_type is not None:
            children = [value] if isinstance(value, Message) else list(value)
            for child in children:
                found |= touched_districts(child, lookups, session)
        elif name in DISTRICT_FIELDS and isinstance(value, str) and value:
            found.add(value)
        elif name in lookups and isinstance(value, str) and value and session is not None:
            if (district := lookups[name](session, value)) is not None:
                found.add(district)
    return found


class AccessControl:
    def __init__(self, authenticator: Authenticator, sessions: sessionmaker | None = None) -> None:
        self.authenticator = authenticator
        self.sessions = sessions

    def authenticate(self, header: str) -> Caller:
        """Who is calling (anonymous without a header), or Unauthenticated naming why not."""
        return self.authenticator.authenticate(header)

    def authorise(self, method: str, rule: Rule | None, policy: Policy | None, request: Message | None,
                  caller: Caller) -> None:
        """Whether `caller` may call `method` with `request`: Unauthenticated / Forbidden naming
        why not."""
        if rule is None:
            raise Forbidden(f"{method} has no access rule; nobody may call it")
        if rule.scope is None:
            return
        if caller is ANONYMOUS:
            raise Unauthenticated(f"a bearer token with the scope {rule.scope!r} is required",
                                  agency=ANONYMOUS.actor)
        if not caller.may(rule.scope):
            raise Forbidden(f"token {caller.token_id} ({caller.actor}) lacks the scope {rule.scope!r}")
        if rule.write and caller.districts:
            self._within_districts(method, rule, policy, request, caller)

    def _within_districts(self, method: str, rule: Rule, policy: Policy | None, request: Message | None,
                          caller: Caller) -> None:
        allowed = ", ".join(sorted(caller.districts))
        if rule.city_wide or request is None:
            raise Forbidden(f"token {caller.token_id} is limited to district {allowed}; "
                            f"{method} may touch any district and needs a city-wide token")
        lookups = policy.lookups if policy else {}
        if self.sessions is not None and lookups:
            with self.sessions() as session:
                touched = touched_districts(request, lookups, session)
        else:
            touched = touched_districts(request, lookups, None)
        outside = sorted(touched - caller.districts)
        if outside:
            raise Forbidden(f"token {caller.token_id} is limited to district {allowed}; "
                            f"the request touches district {', '.join(outside)}")
