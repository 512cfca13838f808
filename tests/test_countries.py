from bot import countries


def test_names_resolve_case_insensitively_with_the_issue_aliases():
    assert countries.resolve("czech republic").name == "Czech Republic"
    assert countries.resolve("Trinidad and Tobago").name == "Trinidad & Tobago"
    assert countries.resolve("UK").name == "United Kingdom"
    assert countries.resolve("usa").name == "United States"
    assert countries.resolve("US").name == "United States"


def test_unknown_country_is_not_guessed():
    assert countries.resolve("Narnia") is None
    assert countries.resolve("Untied States") is None


def test_payment_groups_follow_notice_section_3():
    groups = {g: sorted(c.name for c in countries.by_group(g))
              for g in ("excluded", "immediate", "tax_rate", "ruling")}
    assert groups == {
        "excluded": ["Belgium", "Italy", "Pakistan"],
        "immediate": ["Czech Republic", "Finland", "Hungary", "Poland", "Trinidad & Tobago"],
        "tax_rate": ["Australia", "Canada", "Denmark", "India", "Spain", "Venezuela"],
        "ruling": ["Germany", "Japan", "Netherlands", "Singapore"],
    }
    assert countries.get("United States").payment_group == "general"


def test_two_step_countries_are_the_twenty_of_q22():
    names = sorted(c.name for c in countries.two_step_countries())
    assert names == sorted([
        "Argentina", "Brazil", "Bulgaria", "Chile", "Czech Republic", "Dominican Republic", "Egypt",
        "France", "Germany", "Guatemala", "Indonesia", "Kuwait", "Latvia", "Lebanon", "Morocco",
        "Oman", "Paraguay", "Russia", "Turkey", "Uruguay"])


def test_method_of_payment_unlisted_country_stays_unknown():
    assert countries.get("Brazil").payment_via == "mellon"
    assert countries.get("Canada").payment_via == "payroll"
    assert countries.get("Netherlands").payment_via is None


def test_mentions_find_office_cities_but_not_common_words():
    found = [c.name for c in countries.mentioned("Moscow office here; we cook turkey; tell us more")]
    assert found == ["Russia"]
    assert [c.name for c in countries.mentioned("I'm at TVP in Reading")] == ["United Kingdom"]


def test_the_longest_place_name_wins_so_port_of_spain_is_not_spain():
    assert [c.name for c in countries.mentioned("I work in Port of Spain")] == ["Trinidad & Tobago"]
    assert [c.name for c in countries.mentioned("Mexico City office")] == ["Mexico"]
