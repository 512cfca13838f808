"""positional_constructor: the hot paths' way to build records is the records' own __init__'s result."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.calc.eligibility import EmployeeEligibility, GrantEligibility
from bot.calc.estimate import Estimate, GrantPayment
from bot.calc.interest import InterestResult
from bot.calc.records import Employee, Grant, positional_constructor
from bot.calc.schedule import Installment
from calc_builders import BASE_EMPLOYEE, BASE_GRANT

HOT_RECORDS = (Employee, Grant, GrantEligibility, EmployeeEligibility, GrantPayment, Estimate, Installment,
               InterestResult)


@pytest.mark.parametrize("cls", HOT_RECORDS)
@given(values=st.data())
def test_a_record_built_by_its_slots_is_the_one_its_init_builds(cls, values):
    names = [f.name for f in dataclasses.fields(cls)]
    drawn = [values.draw(st.one_of(st.none(), st.integers(), st.text(max_size=3), st.just(BASE_GRANT)), label=n)
             for n in names]
    made, built = positional_constructor(cls)(*drawn), cls(*drawn)
    assert type(made) is cls and made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert [getattr(made, n) for n in names] == drawn
    assert pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, names[0], None)


def test_the_records_of_a_person_are_their_own_values():
    assert positional_constructor(Grant)(*dataclasses.astuple(BASE_GRANT)) == BASE_GRANT
    assert positional_constructor(Employee)(*dataclasses.astuple(BASE_EMPLOYEE)) == BASE_EMPLOYEE


def test_only_a_frozen_slots_dataclass_with_its_own_init_has_one():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            raise ValueError

    for cls in (NoSlots, NotFrozen, Checked):
        with pytest.raises(TypeError):
            positional_constructor(cls)
