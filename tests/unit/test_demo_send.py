"""Filling in ids the services assigned, before a chain's later commands are sent."""
from __future__ import annotations

import pytest

from demo import enterprises, regional_statistics
from demo.batch_send import case_of
from demo.model import Command
from demo.send import resolve
from yinling.v1 import enterprises_pb2, platforms_pb2


def test_platform_id_comes_from_the_chains_first_answer_and_the_original_stays_untouched():
    command = Command("platforms", "Evaluate", platforms_pb2.EvaluatePlatformRequest(
        year=2023, grade="good", request_id="demo-platforms-000002"), refs=(("platform_id", "id"),))
    request = resolve(command, platforms_pb2.Platform(id="plt-42"), None)
    assert request.platform_id == "plt-42" and request.request_id == "demo-platforms-000002"
    assert command.request.platform_id == ""


def test_qualification_reference_finds_the_certificate_by_number():
    answer = enterprises_pb2.Enterprise()
    answer.qualifications.add(id="q-1", number="GR20194400001")
    answer.qualifications.add(id="q-2", number="GR20224400001")
    command = Command("enterprises", "RenewQualification", enterprises_pb2.RenewQualificationRequest(),
                      refs=(("qualification_id", "qualification:GR20224400001"),))
    assert resolve(command, answer, answer).qualification_id == "q-2"
    missing = Command("enterprises", "RevokeQualification", enterprises_pb2.RevokeQualificationRequest(),
                      refs=(("qualification_id", "qualification:GR20304400001"),))
    with pytest.raises(LookupError):
        resolve(missing, answer, answer)


def test_every_enterprise_method_of_the_demo_has_a_batch_command_case():
    cases = {f.name for f in enterprises_pb2.EnterpriseCommand.DESCRIPTOR.oneofs_by_name["command"].fields}
    methods = {c.method for generate in (enterprises.generate, regional_statistics.generate)
               for chain in generate("full") for c in chain.commands}
    assert len(methods) == 7 and {case_of(m) for m in methods} <= cases
    assert (case_of("GrantQualification"), case_of("Move")) == ("grant_qualification", "move")


def test_every_domain_of_the_demo_goes_in_batches_whose_command_has_a_case_for_each_method():
    from demo.batch_send import BATCHED
    from demo.load import by_service, domains

    chains = [chain for _, generate in domains("full") for chain in generate("full")]
    for service, group in by_service(chains).items():
        assert service in BATCHED, service
        wrapper = BATCHED[service][2]
        cases = {f.name for f in wrapper.DESCRIPTOR.oneofs_by_name["command"].fields}
        methods = {c.method for chain in group for c in chain.commands}
        assert {case_of(m) for m in methods} <= cases, service
