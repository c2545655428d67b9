"""Demo technology finance: 邑科贷 loans to about 300 firms totalling about 1 billion CNY,
interest subsidies, S&T insurance and 12 listings, with two loans withdrawn."""
from __future__ import annotations

from datetime import date, timedelta

from demo.enterprises import high_tech_codes
from demo.model import Chain, Command, RequestIds, day_between, rng_for, weighted
from demo.population import firms
from yinling.v1 import finance_pb2 as pb

BORROWERS, EXTRA_LOANS, SUBSIDIES, POLICIES = 304, 26, 80, 60
LOAN_TYPES = {"credit": 55, "equity_pledge": 10, "ip_pledge": 25, "equipment_leasing": 10}
EXCHANGES = ("szse", "szse", "sse", "sse", "bse", "hkex", "neeq", "neeq", "gdee", "szse", "sse", "bse")
START, END = date(2022, 1, 1), date(2024, 12, 20)
YUAN = 100  # fen


def generate(scale: str = "full") -> list[Chain]:
    rng, ids = rng_for("finance"), RequestIds("finance")
    population = firms()
    borrowers = rng.sample(population, BORROWERS)
    chains: list[Chain] = []

    def record(kind: str, firm, amount_yuan: int, on: date, loan_type: str = "",  # type: ignore[no-untyped-def]
               exchange: str = "") -> Chain:
        chain = Chain(f"finance-{len(chains):04d}", [Command("finance", "Record", pb.RecordFinanceRequest(
            kind=kind, loan_type=loan_type, enterprise_credit_code=firm.credit_code,
            district=firm.district, amount_fen=amount_yuan * YUAN, granted_on=on.isoformat(),
            exchange=exchange, request_id=ids()))])
        chains.append(chain)
        return chain

    for firm in borrowers + rng.sample(borrowers, EXTRA_LOANS):
        amount = rng.randint(100, 560) * 10_000  # 1 to 5.6 million CNY
        record("loan", firm, amount, day_between(rng, START, END), weighted(rng, LOAN_TYPES))
    for n in (3, 17):  # cancelled before drawing
        granted = date.fromisoformat(chains[n].commands[0].request.granted_on)  # type: ignore[attr-defined]
        chains[n].commands.append(Command("finance", "Withdraw", pb.WithdrawFinanceRequest(
            withdrawn_on=(granted + timedelta(days=30)).isoformat(), reason="企业放弃贷款",
            request_id=ids()), refs=(("record_id", "id"),)))
    for firm in rng.sample(borrowers, SUBSIDIES):
        record("interest_subsidy", firm, rng.randint(5, 30) * 10_000, day_between(rng, START, END))
    for firm in rng.sample(population, POLICIES):
        record("insurance", firm, rng.randint(50, 500) * 10_000, day_between(rng, START, END))
    # Listings are of high-tech enterprises: firms certified in mid-2023.
    by_code = {f.credit_code: f for f in population}
    listed = rng.sample(high_tech_codes(date(2023, 6, 30)), len(EXCHANGES))
    for exchange, code in zip(EXCHANGES, listed, strict=True):
        record("listing", by_code[code], 0, day_between(rng, date(2023, 1, 1), date(2024, 6, 30)),
               exchange=exchange)
    return chains
