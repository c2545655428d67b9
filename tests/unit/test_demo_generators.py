"""The demo generators: same seed, same commands; every command valid by construction."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from demo import enterprises as demo_enterprises
from demo import finance as demo_finance
from demo import platforms as demo_platforms
from demo import regional_statistics as demo_statistics
from demo import talent as demo_talent
from demo.platform_life import ALLOWED
from yinling.credit_code import validate_credit_code
from yinling.dates import add_years
from yinling.territory import DISTRICTS

GENERATORS = [demo_platforms.generate, demo_enterprises.generate, demo_statistics.generate,
              demo_talent.generate, demo_finance.generate]
DATE_FIELDS = ("registered_on", "accredited_on", "evaluated_on", "effective_on", "revoked_on",
               "granted_on", "renewed_on", "moved_on", "recognised_on", "ended_on", "withdrawn_on")


def _dump(chains):
    return [(c.subject, [(cmd.method, cmd.request.SerializeToString(deterministic=True), cmd.refs)
                         for cmd in c.commands]) for c in chains]


def _dates(command):
    return [date.fromisoformat(getattr(command.request, f)) for f in DATE_FIELDS
            if f in command.request.DESCRIPTOR.fields_by_name and getattr(command.request, f)]


@pytest.mark.parametrize("generate", GENERATORS)
def test_same_seed_gives_the_same_commands(generate):
    assert _dump(generate("full")) == _dump(generate("full"))


@pytest.mark.parametrize("generate", GENERATORS)
def test_request_ids_are_unique_and_dates_run_forward_within_a_subject(generate):
    chains = generate("full")
    ids = [cmd.request.request_id for c in chains for cmd in c.commands]
    assert len(ids) == len(set(ids)) and all(i.startswith("demo-") for i in ids)
    for chain in chains:
        days = [d for cmd in chain.commands for d in _dates(cmd)]
        assert days == sorted(days), chain.subject
        assert all(d <= date(2025, 3, 31) for d in days), chain.subject  # 2024's evaluations


def test_platform_levels_are_allowed_for_the_kind_and_names_unique_per_host():
    seen, kinds = set(), {}
    for chain in demo_platforms.generate("full"):
        register = chain.commands[0].request
        assert chain.commands[0].method == "Register" and register.district in DISTRICTS
        key = (register.host_organisation, register.name)
        assert key not in seen
        seen.add(key)
        for cmd in chain.commands[1:]:
            assert cmd.refs == (("platform_id", "id"),)
            if cmd.method in ("Accredit", "ChangeLevel"):
                assert cmd.request.level in ALLOWED[register.kind], (register.kind, cmd.request.level)
        kinds[register.kind] = kinds.get(register.kind, 0) + 1
    assert "gba_joint_laboratory" in kinds and "iur_centre" in kinds


def test_small_scale_has_dozens_of_platforms_and_full_approaches_the_target():
    def provincial_or_higher(chains):
        count = 0
        for chain in chains:
            level, revoked = None, False
            for cmd in chain.commands:
                if cmd.method in ("Accredit", "ChangeLevel"):
                    level = cmd.request.level
                revoked = revoked or cmd.method == "Revoke"
            count += level in (1, 2) and not revoked
        return count
    assert 60 <= len(demo_platforms.generate("small")) <= 90
    assert 480 <= provincial_or_higher(demo_platforms.generate("full")) <= 600


def test_high_tech_zones_cover_six_divisions_with_zones_and_one_with_a_sub_park():
    zones = [c.commands[0].request for c in demo_platforms.generate("small")
             if c.commands[0].request.kind == "high_tech_zone"]
    assert len({z.district for z in zones}) == 6


def test_enterprise_credit_codes_pass_the_check_and_counts_near_the_targets():
    chains = demo_enterprises.generate("full")
    codes = [c.commands[0].request.credit_code for c in chains]
    assert all(validate_credit_code(code) == code for code in codes) and len(set(codes)) == len(codes)
    held = demo_enterprises.high_tech_codes(date(2024, 12, 31))
    assert 2400 <= len(held) <= 2800
    kinds = Counter((cmd.request.kind, cmd.request.year) for c in chains for cmd in c.commands
                    if cmd.method == "GrantQualification")
    assert 2400 <= kinds[("tech_sme", 2024)] <= 2600
    assert kinds[("little_giant", 0)] == demo_enterprises.LITTLE_GIANTS


def test_renewals_and_revocations_name_a_certificate_granted_earlier_in_the_chain():
    for chain in demo_enterprises.generate("full"):
        numbers: list[str] = []
        for cmd in chain.commands:
            for _, ref in cmd.refs:
                assert ref.removeprefix("qualification:") in numbers
            if cmd.method in ("GrantQualification", "RenewQualification"):
                numbers.append(cmd.request.number)


def test_innovation_models_are_granted_while_a_certificate_holds():
    for chain in demo_enterprises.generate("full"):
        issued = [date.fromisoformat(c.request.granted_on if c.method == "GrantQualification"
                                     else c.request.renewed_on)
                  for c in chain.commands if c.method in ("GrantQualification", "RenewQualification")
                  and getattr(c.request, "kind", "high_tech_enterprise") == "high_tech_enterprise"]
        for cmd in chain.commands:
            if cmd.method == "GrantQualification" and cmd.request.kind == "innovation_model":
                on = date.fromisoformat(cmd.request.granted_on)
                assert any(d <= on < add_years(d, 3) for d in issued)


def test_talent_identity_numbers_are_well_formed_and_commissioners_in_distinct_firms():
    from services.talent.identity import validate_identity_number

    chains = demo_talent.generate("full")
    registers = [c.commands[0].request for c in chains]
    assert all(validate_identity_number(r.person.identity_number) for r in registers)
    placed = [r.enterprise_credit_code for r in registers if r.category == "phd_commissioner"]
    assert len(placed) == len(set(placed)) >= 100
    assert Counter(r.category for r in registers)["scientist_team"] == 7


def test_loans_reach_about_300_firms_and_a_billion_yuan():
    records = [c.commands[0].request for c in demo_finance.generate("full")]
    loans = [r for r in records if r.kind == "loan"]
    assert len({r.enterprise_credit_code for r in loans}) >= 300
    assert 0.95e9 <= sum(r.amount_fen for r in loans) / 100 <= 1.2e9
    listings = [r for r in records if r.kind == "listing"]
    assert len(listings) == 12 and all(r.amount_fen == 0 and r.exchange for r in listings)


def test_regional_statistics_keep_rd_near_three_percent_and_revise_once():
    reports = [cmd.request for c in demo_statistics.generate("full") for cmd in c.commands]
    assert len([r for r in reports if r.reason]) == 1
    for year in (2021, 2022, 2023, 2024):
        first = {}
        for r in reports:
            if r.statistic.year == year:
                first.setdefault((r.statistic.territory, r.statistic.measure), float(r.statistic.value))
        ratio = sum(v for (_, m), v in first.items() if m == "rd_expenditure") / sum(
            v for (_, m), v in first.items() if m == "gdp")
        assert 0.025 <= ratio <= 0.035
