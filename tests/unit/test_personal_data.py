"""The personal-data detector (yinling.personal_data), property-tested: identity numbers,
telephone numbers and e-mail addresses are found however they are spaced, separated or typed
in full width; dates, amounts and ordinary reasons are not taken for them (issue 7, finding 7)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.talent.identity import check_character
from yinling.personal_data import EMAIL, IDENTITY_NUMBER, KNOWN, PHONE, personal_data_in

SEPARATORS = [" ", "-", ".", "/", "\u3000", "－", "．", "  ", "\u00a0", "・"]
FULL_WIDTH = str.maketrans("0123456789@.-X", "０１２３４５６７８９＠．－Ｘ")
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), max_size=6)


@st.composite
def spaced(draw, digits: str) -> str:  # type: ignore[no-untyped-def]
    """The digits as a person might type them: separators anywhere, full width or not."""
    out = []
    for n, d in enumerate(digits):
        if n and draw(st.booleans()):
            out.append(draw(st.sampled_from(SEPARATORS)))
        out.append(d)
    text = "".join(out)
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


@st.composite
def mobiles(draw) -> str:  # type: ignore[no-untyped-def]
    return "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))


@st.composite
def identity_numbers(draw) -> str:  # type: ignore[no-untyped-def]
    body = draw(st.sampled_from(["440703", "440705", "440781"])) + \
        draw(st.dates().map(lambda d: d.strftime("%Y%m%d")).filter(lambda s: len(s) == 8)) + \
        draw(st.text("0123456789", min_size=3, max_size=3))
    return body + check_character(body)


@given(mobiles().flatmap(spaced), CJK, CJK)
def test_a_mobile_number_is_found_however_spaced_or_typed(number, before, after):
    assert PHONE in personal_data_in(f"{before}电话 {number} {after}")


@given(identity_numbers().flatmap(spaced), CJK, CJK)
def test_an_identity_number_is_found_however_spaced_or_typed(number, before, after):
    assert IDENTITY_NUMBER in personal_data_in(f"{before}身份证{number}，{after}")


@given(st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True), st.sampled_from(
    ["@", " at ", "(at)", " [at] ", "＠", " @ "]), st.sampled_from([".", " dot ", "(dot)", "．"]),
    st.booleans())
def test_an_e_mail_address_is_found_however_the_at_and_dot_are_written(user, at, dot, upper):
    text = f"请联系 {user}{at}example{dot}org"
    assert EMAIL in personal_data_in(text.upper() if upper else text)


@given(st.dates(), st.integers(min_value=0, max_value=10**10), CJK)
def test_dates_and_amounts_are_not_taken_for_personal_data(day, amount, words):
    text = f"{words} {day.isoformat()} 至 {day.strftime('%Y%m%d')}，金额 {amount} 元"
    assert personal_data_in(text) == []


@given(st.sampled_from(["王小明", "陈静", "Li Wei"]), st.sampled_from(SEPARATORS[:5] + [""]))
def test_a_known_name_is_found_with_anything_typed_between_its_letters(name, separator):
    assert KNOWN in personal_data_in(f"{separator.join(name)}调离", known=[name])


@pytest.mark.parametrize("reason", [
    "王 小 明调离", "王.小.明调离", "王小明 调离", "电话 139-0000-1111", "电话 139 0000 1111",
    "电话１３９００００１１１１", "+86 139 0000 1111", "身份证 440705 19820214 3199",
    "身份证 440705-1982-0214-3199", "wxm at example.org", "wxm(at)example(dot)org",
    "wxm＠example．org", "座机 0750-3123456", "WXM AT EXAMPLE DOT ORG",
])
def test_every_variant_of_the_finding_is_found(reason):
    assert personal_data_in(reason, known=["王小明"]) != []


@pytest.mark.parametrize("reason", ["团队解散", "dissolved", "merged into team 3 in 2024",
                                    "placement moved to 2024-06-30", "digits swapped on the form"])
def test_ordinary_reasons_pass(reason):
    assert personal_data_in(reason, known=["王小明", "13800138000"]) == []
