from datetime import date

from letters.workdays import add_working_days, is_working_day, working_days_between


def test_christmas_and_boxing_day_substitutes_are_skipped():
    # 2020: Christmas Friday, Boxing Day Saturday observed on Monday 28th.
    assert not is_working_day(date(2020, 12, 25))
    assert not is_working_day(date(2020, 12, 28))
    assert add_working_days(date(2020, 12, 24), 1) == date(2020, 12, 29)
    # 2021: both fall at the weekend; the substitutes are Monday 27th and Tuesday 28th.
    assert add_working_days(date(2021, 12, 24), 1) == date(2021, 12, 29)


def test_easter_good_friday_and_easter_monday_are_skipped():
    # Easter 2021: Good Friday 2 April, Easter Monday 5 April.
    assert add_working_days(date(2021, 4, 1), 1) == date(2021, 4, 6)
    assert working_days_between(date(2021, 3, 31), date(2021, 4, 6)) == 2


def test_early_may_bank_holiday_monday_is_skipped():
    assert not is_working_day(date(2021, 5, 3))
    assert add_working_days(date(2021, 4, 30), 1) == date(2021, 5, 4)


def test_twenty_working_days_across_christmas_and_new_year():
    # Sent Friday 11 December 2020: 25, 28 December and 1 January are bank holidays.
    assert add_working_days(date(2020, 12, 11), 20) == date(2021, 1, 13)


def test_twenty_working_days_in_an_ordinary_month_is_four_weeks():
    assert add_working_days(date(2026, 2, 2), 20) == date(2026, 3, 2)
    assert add_working_days(date(2026, 2, 2), 0) == date(2026, 2, 2)
