"""Demo enterprises: registrations, high-tech certificates 2016-2024 (three years each),
tech-SME registers 2022-2024, specialised SMEs, little giants, innovation models, a few
moves between districts and revocations, and some annual statistics."""
from __future__ import annotations

import random
from datetime import date, timedelta

from demo.model import Chain, Command, RequestIds, day_between, rng_for
from demo.population import DISTRICT_WEIGHTS, Firm, firms
from yinling.dates import add_years
from yinling.v1 import enterprises_pb2 as pb

HTE_SHARE = 0.76          # firms that ever hold a high-tech certificate
RENEWAL = 0.86            # a certificate is followed by the next one three years on
TECH_SME = {2022: 1900, 2023: 2200, 2024: 2520}
SPECIALISED, LITTLE_GIANTS, MODELS, MOVES = 108, 21, 104, 24
FIRST_YEARS = {2016: 10, 2017: 11, 2018: 12, 2019: 13, 2020: 13, 2021: 13, 2022: 10, 2023: 9, 2024: 9}

MODEL_FROM, MODEL_UNTIL = date(2022, 5, 1), date(2024, 10, 31)
Dated = tuple[date, Command]


def generate(scale: str = "full") -> list[Chain]:
    rng, ids = rng_for("enterprises"), RequestIds("enterprises")
    population = firms()
    events: dict[int, list[Dated]] = {f.n: [] for f in population}
    holders: dict[int, list[date]] = {}
    for firm in population:
        if rng.random() < HTE_SHARE:
            holders[firm.n] = high_tech(rng, ids, firm, events[firm.n])
    for year, count in TECH_SME.items():
        for serial, firm in enumerate(sorted(rng.sample(population, count), key=lambda f: f.n)):
            on = day_between(rng, date(year, 3, 1), date(year, 9, 30))
            events[firm.n].append((on, _grant(ids, firm, "tech_sme", f"{year}4407{serial:05d}", on, year)))
    specialised = rng.sample(population, SPECIALISED)
    for serial, firm in enumerate(specialised):
        on = day_between(rng, date(2020, 6, 1), date(2024, 10, 31))
        events[firm.n].append((on, _grant(ids, firm, "provincial_specialised_sme", f"ZJTX{serial:04d}", on)))
    for serial, firm in enumerate(rng.sample(specialised, LITTLE_GIANTS)):
        on = day_between(rng, date(2021, 7, 1), date(2024, 8, 31))
        events[firm.n].append((on, _grant(ids, firm, "little_giant", f"XJR{serial:04d}", on)))
    # Innovation models are chosen among firms holding a certificate on the day of the title.
    windows = {n: (max(issued[0], MODEL_FROM), min(add_years(issued[-1], 3) - timedelta(days=1), MODEL_UNTIL))
               for n, issued in holders.items() if issued}
    eligible = [n for n, (first, last) in windows.items() if first <= last]
    for serial, n in enumerate(rng.sample(eligible, MODELS)):
        on = day_between(rng, *windows[n])
        events[n].append((on, _grant(ids, population[n], "innovation_model", f"CXBB{serial:04d}", on)))
    for firm in rng.sample(population, MOVES):
        to = rng.choice([d for d in DISTRICT_WEIGHTS if d != firm.district])
        on = day_between(rng, date(2022, 2, 1), date(2024, 11, 30))
        events[firm.n].append((on, Command("enterprises", "Move", pb.MoveEnterpriseRequest(
            credit_code=firm.credit_code, district=to, moved_on=on.isoformat(),
            reason="企业迁址", request_id=ids()))))
    for firm in rng.sample([population[n] for n in holders], 400):
        events[firm.n].append((date(2024, 5, 31), _statistics(rng, ids, firm)))
    return [Chain(f"enterprise-{f.credit_code}", [_register(ids, f)]
                  + [c for _, c in sorted(events[f.n], key=lambda e: e[0])]) for f in population]


def high_tech(rng: random.Random, ids: RequestIds, firm: Firm, out: list[Dated]) -> list[date]:
    """A certificate from a first year, renewed three years on (on or before the old one's
    expiry) with some probability; one in fifty is revoked. Returns the issue dates of an
    unbroken, unrevoked run (empty if revoked)."""
    year = rng.choices(list(FIRST_YEARS), weights=list(FIRST_YEARS.values()))[0]
    on = day_between(rng, date(year, 11, 1), date(year, 12, 28))
    number = f"GR{year}44{firm.n:06d}"
    out.append((on, _grant(ids, firm, "high_tech_enterprise", number, on)))
    issued = [on]
    while True:
        if rng.random() < 0.02 and on < date(2024, 6, 1):
            revoked = on + timedelta(days=rng.randint(90, 400))
            out.append((revoked, Command("enterprises", "RevokeQualification", pb.RevokeQualificationRequest(
                credit_code=firm.credit_code, revoked_on=revoked.isoformat(),
                reason="复核不符合高新技术企业认定条件", request_id=ids()),
                refs=(("qualification_id", f"qualification:{number}"),))))
            return []
        year += 3
        if year > 2024 or rng.random() > RENEWAL:
            return issued
        expiry = add_years(on, 3)
        on = day_between(rng, date(year, 11, 1), expiry)
        previous, number = number, f"GR{year}44{firm.n:06d}"
        out.append((on, Command("enterprises", "RenewQualification", pb.RenewQualificationRequest(
            credit_code=firm.credit_code, number=number, renewed_on=on.isoformat(), request_id=ids()),
            refs=(("qualification_id", f"qualification:{previous}"),))))
        issued.append(on)


def _register(ids: RequestIds, firm: Firm) -> Command:
    return Command("enterprises", "Register", pb.RegisterEnterpriseRequest(
        credit_code=firm.credit_code, name=firm.name, district=firm.district,
        industry_cluster=firm.cluster, registered_on=firm.registered_on.isoformat(),
        request_id=ids()))


def _grant(ids: RequestIds, firm: Firm, kind: str, number: str, on: date, year: int = 0) -> Command:
    return Command("enterprises", "GrantQualification", pb.GrantQualificationRequest(
        credit_code=firm.credit_code, kind=kind, number=number, granted_on=on.isoformat(),
        year=year, request_id=ids()))


def _statistics(rng: random.Random, ids: RequestIds, firm: Firm) -> Command:
    revenue = rng.randint(2_000, 200_000) * 1_000_000  # fen: 20 thousand to 2 million CNY x 100
    staff = rng.randint(20, 800)
    return Command("enterprises", "ReportAnnualStatistics", pb.ReportAnnualStatisticsRequest(
        credit_code=firm.credit_code, request_id=ids(), statistics=pb.AnnualStatistics(
            year=2023, revenue_fen=revenue, rd_expenditure_fen=revenue * rng.randint(3, 8) // 100,
            employees=staff, rd_staff=max(3, staff * rng.randint(8, 20) // 100))))


def high_tech_codes(on: date) -> list[str]:
    """Credit codes of demo firms holding an unrevoked high-tech certificate on a day."""
    held = []
    for chain in generate():
        revoked = any(c.method == "RevokeQualification" for c in chain.commands)
        days = [date.fromisoformat(c.request.granted_on if c.method == "GrantQualification"  # type: ignore[attr-defined]
                                   else c.request.renewed_on)  # type: ignore[attr-defined]
                for c in chain.commands if c.method in ("GrantQualification", "RenewQualification")
                and getattr(c.request, "kind", "high_tech_enterprise") == "high_tech_enterprise"]
        if not revoked and any(d <= on < add_years(d, 3) for d in days):
            held.append(chain.commands[0].request.credit_code)  # type: ignore[attr-defined]
    return held
