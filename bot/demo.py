"""A deterministic synthetic population shaped like the real one, for trying and measuring.

The shape (grant history, levels, countries, sizes, names) is data in
bot/data/demo_population.toml; this module only draws from it with
random.Random(seed), so the same N and seed always give the same rows. The
first people are a "showcase" set with Slack ids: one per country (two for the
special payment groups, one of them at Level 68+) and the unusual cases the
assistant must handle (leave, terminated, advisor, consultant, director, Visio,
Navision, SARs, ISOs, Multi-Year Grants, grants expiring on either side of
2004-02-29, only grants below $33).
"""

from __future__ import annotations

import math
import random
import sys
import time
import tomllib
import unicodedata
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Callable, Sequence

from bot import countries, store
from bot.config import data_path
from bot.db import Database

Progress = Callable[[str], None]

_DECIMALIZATION = date(2001, 4, 9)   # Nasdaq quoted in fractions before, in cents after
_SLACK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@lru_cache(maxsize=1)
def load_shape() -> dict[str, Any]:
    with data_path("demo_population.toml").open("rb") as fh:
        return tomllib.load(fh)


def default_employees() -> int:
    return int(load_shape()["population"]["default_employees"])


def default_seed() -> int:
    return int(load_shape()["population"]["default_seed"])


@dataclass
class _Person:
    """What decides a person's grants; grants are drawn from it."""

    country: str
    level: int
    worker_type: str = "employee"
    status: str = "active"
    hire_date: date = date(1998, 6, 1)
    cohort: str | None = None          # "visio" | "navision" | "director"
    slack: bool = False
    force: dict[str, Any] = field(default_factory=dict)  # showcase adjustments


class _Weighted:
    """Weighted choice with precomputed cumulative weights (fast for 50,000 draws)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(float(w) for w in weights))

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


def _plus_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _weekday_on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _quoted_price(price: float, on: date) -> str:
    """A strike as the market quoted then: 1/32 (1/16 before the 2003 split) or half-cents."""
    tick = Decimal(1) / Decimal(32) if on < _DECIMALIZATION else Decimal("0.005")
    ticks = (Decimal(repr(price)) / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str((ticks * tick).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


class _Generator:
    def __init__(self, n: int, seed: int, shape: dict[str, Any]) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.shape = shape
        pop = shape["population"]
        self.as_of: date = pop["as_of"]
        self.email_domain: str = pop["email_domain"]
        self.levels = _Weighted([int(k) for k in shape["levels"]], list(shape["levels"].values()))
        self.hire_years = _Weighted([int(k) for k in shape["hire_years"]], list(shape["hire_years"].values()))
        weights = dict(shape["countries"])
        other = float(weights.pop("other"))
        names = [c.name for c in countries.all_countries()]
        for name in weights:
            if countries.resolve(name) is None:
                raise ValueError(f"demo_population.toml: unknown country {name!r}")
        self.countries = _Weighted(names, [float(weights.get(c, other)) for c in names])
        wt = shape["worker_types"]
        self.worker_types = _Weighted(list(wt), list(wt.values()))
        st = shape["statuses"]
        self.statuses = _Weighted(list(st), list(st.values()))
        nav = shape["navision"]
        self.navision_countries = _Weighted(list(nav["countries"]), list(nav["countries"].values()))
        self.monthly = {int(y): [float(p) for p in prices] for y, prices in shape["monthly_prices"].items()}
        self.sar_countries = tuple(shape["sars"]["countries"])
        self.name_pools = {k: v for k, v in shape["names"].items() if k != "regions"}
        regions = shape["names"]["regions"]
        self.region_of = {c: r for r, cs in regions.items() if r != "us_mix" for c in cs}
        self.us_mix = _Weighted(list(regions["us_mix"]), list(regions["us_mix"].values()))
        self.fixed_new_hire: dict[str, list[dict[str, Any]]] = {}
        for fx in shape["new_hire"].get("fixed", []):
            self.fixed_new_hire.setdefault(fx["month"], []).append(fx)
        self.growth = float(shape["sizes"]["level_growth"])
        self.sigma = float(shape["sizes"]["sigma"])
        self.grant_counter = 0
        self.used_aliases: set[str] = set()
        self.used_slack: set[str] = set()

    # --- people --------------------------------------------------------------------
    def _hire_date(self) -> date:
        year = self.hire_years.pick(self.rng)
        start = date(year, 1, 1)
        end = min(date(year, 12, 31), self.as_of)
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def random_person(self) -> _Person:
        rng = self.rng
        worker_type = self.worker_types.pick(rng)
        person = _Person(country=self.countries.pick(rng), level=self.levels.pick(rng),
                         worker_type=worker_type, hire_date=self._hire_date())
        if worker_type == "employee":
            person.status = self.statuses.pick(rng)
        nav = self.shape["navision"]
        visio = self.shape["visio"]
        if rng.random() < float(nav["people_share"]):
            person.cohort = "navision"
            person.country = self.navision_countries.pick(rng)
            person.hire_date = nav["hire_date"]
        elif (person.country == "United States" and person.hire_date < visio["hire_date"]
              and rng.random() < float(visio["share_of_us"])):
            person.cohort = "visio"
            person.hire_date = visio["hire_date"]
        return person

    def showcase(self) -> list[_Person]:
        """People with Slack ids covering every country and every unusual case."""
        rng = self.rng
        people: list[_Person] = []
        for country in countries.all_countries():
            people.append(_Person(country=country.name, level=rng.choice((59, 61, 62, 63, 64)),
                                  hire_date=date(1998, 9, 14), slack=True))
            if country.payment_group in ("immediate", "tax_rate", "ruling"):
                people.append(_Person(country=country.name, level=rng.choice((68, 69, 70)),
                                      hire_date=date(1996, 3, 4), slack=True))
        us = "United States"
        people += [
            _Person(us, 70, hire_date=date(1995, 5, 8), slack=True, force={"myg": True}),
            _Person(us, 72, hire_date=date(1993, 2, 1), slack=True, force={"myg": True}),
            _Person(us, 66, hire_date=date(1997, 4, 14), slack=True),
            _Person(us, 67, hire_date=date(1996, 8, 5), slack=True),
            _Person(us, 68, hire_date=date(1997, 1, 6), slack=True),
            _Person(us, 62, status="leave", hire_date=date(1999, 2, 1), slack=True),
            _Person(us, 60, status="terminated", hire_date=date(1999, 5, 3), slack=True),
            _Person(us, 63, worker_type="advisor", hire_date=date(1999, 8, 2), slack=True),
            _Person(us, 61, worker_type="consultant", hire_date=date(2000, 1, 10), slack=True),
            _Person(us, 63, cohort="visio", hire_date=date(2000, 1, 7), slack=True, force={"visio_boundary": True}),
            _Person(us, 61, hire_date=date(1999, 3, 1), slack=True, force={"iso": True}),
            _Person(us, 58, hire_date=date(2002, 3, 11), slack=True),              # only grants below $33
            _Person(us, 57, hire_date=date(2001, 5, 21), slack=True),              # one new-hire grant ~$35
            _Person(us, 59, hire_date=date(2001, 10, 15), slack=True),             # new-hire Nov 2001
            _Person(us, 60, hire_date=date(2000, 6, 12), slack=True),              # new-hire at $40.00
            _Person("Denmark", 62, cohort="navision", hire_date=date(2002, 7, 12), slack=True),
            _Person("China", 62, hire_date=date(1998, 11, 2), slack=True, force={"sar": True}),
            _Person("Russia", 63, hire_date=date(1999, 1, 11), slack=True, force={"sar": True}),
            _Person(us, 60, hire_date=date(1999, 9, 7), slack=True, force={"outstanding_zero": True}),
            _Person(us, 64, status="leave", hire_date=date(1997, 10, 6), slack=True),
            _Person("Germany", 62, status="leave", hire_date=date(1998, 4, 6), slack=True),
        ]
        people.append(_Person(us, 80, worker_type="director", cohort="director",
                              hire_date=date(1999, 11, 10), slack=True))
        return people

    # --- names ------------------------------------------------------------------------
    def name_and_email(self, country: str) -> tuple[str, str]:
        region = self.region_of.get(country, "anglo")
        if country == "United States":
            region = self.us_mix.pick(self.rng)
        pool = self.name_pools[region]
        first, last = self.rng.choice(pool["first"]), self.rng.choice(pool["last"])
        base = (_ascii(first)[:1] + _ascii(last))[:8] or "employee"
        alias, k = base, 1
        while alias in self.used_aliases:
            k += 1
            alias = f"{base}{k}"
        self.used_aliases.add(alias)
        return f"{first} {last}", f"{alias}@{self.email_domain}"

    def slack_id(self) -> str:
        while True:
            sid = "U0" + "".join(self.rng.choice(_SLACK_ALPHABET) for _ in range(7))
            if sid not in self.used_slack:
                self.used_slack.add(sid)
                return sid

    # --- grants -----------------------------------------------------------------------
    def _size(self, median: float, level: int, sigma: float | None = None) -> int:
        s = self.sigma if sigma is None else sigma
        factor = math.exp(self.rng.gauss(0.0, s) - s * s / 2)
        return max(100, int(round(median * self.growth ** (level - 60) * factor / 10.0)) * 10)

    def _next_number(self) -> str:
        self.grant_counter += 1
        return f"{self.grant_counter:08d}"

    def _plan(self, on: date) -> str:
        return "2001" if on >= self.shape["new_hire"]["plan_2001_from"] else "1991"

    def _exercise(self, price: Decimal, granted: int, person: _Person) -> tuple[int, int]:
        ex = self.shape["exercise"]
        rng = self.rng
        exercised = 0
        p = float(price)
        if p < float(ex["deep_in_money_below"]):
            exercised = granted if rng.random() < 0.25 else int(granted * rng.uniform(0.4, 1.0))
        elif p < float(ex["in_money_below"]):
            if rng.random() < 0.6:
                exercised = int(granted * rng.uniform(0.0, 0.5))
        elif p < float(ex["near_money_below"]):
            if rng.random() < 0.15:
                exercised = int(granted * rng.uniform(0.0, 0.15))
        cancelled = 0
        if person.status == "terminated":
            lo, hi = ex["terminated_cancel"]
            cancelled = int((granted - exercised) * rng.uniform(float(lo), float(hi)))
        elif rng.random() < float(ex["random_cancel_share"]):
            cancelled = int((granted - exercised) * rng.uniform(0.05, 0.5))
        return exercised, cancelled

    def _emit(self, out: list[tuple[Any, ...]], eid: str, person: _Person, grant_date: date,
              price: str, expiration: date, granted: int, *, plan: str | None = None,
              myg: bool = False, kind: str | None = None, exercised: int | None = None,
              cancelled: int | None = None) -> None:
        if expiration <= self.as_of or grant_date > self.as_of:
            return  # expired before the record date, or not yet granted
        plan = plan or self._plan(grant_date)
        dprice = Decimal(price)
        ex_can = ((exercised, cancelled or 0) if exercised is not None
                  else self._exercise(dprice, granted, person))
        if kind is None and plan in ("1991", "2001"):
            if person.force.get("sar") or (person.country in self.sar_countries
                                           and self.rng.random() < float(self.shape["sars"]["share"])):
                kind, plan = "SAR", "sar1997"
            elif person.country == "United States" and (
                    person.force.get("iso") or self.rng.random() < float(self.shape["isos"]["share"])):
                iso = self.shape["isos"]
                iso_part = min(granted, int(float(iso["limit_per_year"]) * float(iso["vesting_years"]) / float(price)))
                if iso_part < granted:
                    self._row(out, eid, grant_date, "ISO", plan, price, iso_part, *self._exercise(dprice, iso_part, person),
                              expiration, myg)
                    granted -= iso_part
                    ex_can = self._exercise(dprice, granted, person)
                    kind = "NSO"
                else:
                    kind = "ISO"
        self._row(out, eid, grant_date, kind or "NSO", plan, price, granted, ex_can[0], ex_can[1], expiration, myg)

    def _row(self, out: list[tuple[Any, ...]], eid: str, grant_date: date, kind: str, plan: str, price: str,
             granted: int, exercised: int, cancelled: int, expiration: date, myg: bool) -> None:
        out.append((eid, "", grant_date.isoformat(), kind, plan, price, granted,
                    exercised, cancelled, expiration.isoformat(), int(myg)))

    def grants(self, eid: str, person: _Person) -> list[tuple[Any, ...]]:
        out = self._draw_grants(eid, person)
        out.sort(key=lambda row: row[2])  # grant numbers run in date order, like a stock plan's
        return [(row[0], self._next_number(), *row[2:]) for row in out]

    def _draw_grants(self, eid: str, person: _Person) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        rng = self.rng
        shape = self.shape
        if person.cohort == "director":
            for g in shape["directors"]["grants"]:
                self._emit(out, eid, person, g["grant_date"], g["exercise_price"], g["expiration_date"],
                           int(g["granted"]), plan="director", kind="NSO")
            return out
        if person.cohort == "navision":
            nav = shape["navision"]
            for _ in range(rng.randint(1, 2)):
                self._emit(out, eid, person, date(2001, 3, 1), rng.choice(nav["prices"]),
                           rng.choice(nav["expirations"]),
                           self._size(float(nav["median_at_level_60"]), person.level),
                           plan="navision", kind="NSO")
        if person.cohort == "visio":
            self._visio(out, eid, person)
        for event in shape["events"]:
            if person.hire_date >= event["hired_before"] or person.level < int(event.get("min_level", 0)):
                continue
            forced = bool(event.get("multi_year_grant")) and person.force.get("myg")
            if not forced and rng.random() >= float(event["share"]):
                continue
            if "grant_dates" in event:
                i = rng.randrange(len(event["grant_dates"]))
                gdate, price = event["grant_dates"][i], event["exercise_prices"][i]
                expiration = _plus_years(gdate, int(event["term_years"])) - timedelta(days=1)
            else:
                gdate, price, expiration = event["grant_date"], event["exercise_price"], event["expiration_date"]
            size = self._size(float(event["median_at_level_60"]), person.level, event.get("sigma"))
            self._emit(out, eid, person, gdate, price, expiration, size,
                       myg=bool(event.get("multi_year_grant", False)))
        if person.cohort != "visio":
            self._new_hire(out, eid, person)
        if person.force.get("outstanding_zero") and out:
            e = out[0]
            out[0] = (*e[:7], e[6], 0, *e[9:])  # fully exercised: nothing outstanding
        return out

    def _new_hire(self, out: list[tuple[Any, ...]], eid: str, person: _Person) -> None:
        nh = self.shape["new_hire"]
        h = person.hire_date
        year, month = (h.year + 1, 1) if h.month == 12 else (h.year, h.month + 1)
        key = f"{year:04d}-{month:02d}"
        size = self._size(float(nh["median_at_level_60"]), person.level)
        if key in self.fixed_new_hire:
            fx = self.rng.choice(self.fixed_new_hire[key])
            self._emit(out, eid, person, fx["grant_date"], fx["exercise_price"], fx["expiration_date"], size)
            return
        prices = self.monthly.get(year)
        if prices is None or month > len(prices):
            return
        gdate = _weekday_on_or_after(date(year, month, int(nh["grant_day"])))
        term = 10 if gdate >= nh["ten_year_terms_from"] else 7
        price = _quoted_price(prices[month - 1], gdate)
        self._emit(out, eid, person, gdate, price, _plus_years(gdate, term) - timedelta(days=1), size)

    def _visio(self, out: list[tuple[Any, ...]], eid: str, person: _Person) -> None:
        vs = self.shape["visio"]
        if person.force.get("visio_boundary"):
            # Either side of the 2004-02-29 expiration rule (Notice Q3), both above $33.
            self._emit(out, eid, person, date(1994, 2, 28), "38.2500", date(2004, 2, 28), 1200, plan="visio",
                       kind="NSO", exercised=0, cancelled=0)
            self._emit(out, eid, person, date(1994, 3, 1), "38.2500", date(2004, 2, 29), 1500, plan="visio",
                       kind="NSO", exercised=0, cancelled=0)
        lo, hi = vs["grants"]
        for _ in range(self.rng.randint(int(lo), int(hi))):
            year = self.rng.randint(int(vs["first_grant_year"]), int(vs["last_grant_year"]))
            month = self.rng.randint(1, 12)
            gdate = _weekday_on_or_after(date(year, month, 15))
            base = float(vs["prices_by_year"][str(year)]) * (0.9 + 0.2 * (month - 1) / 11)
            self._emit(out, eid, person, gdate, _quoted_price(base, gdate),
                       _plus_years(gdate, int(vs["term_years"])) - timedelta(days=1),
                       self._size(float(vs["median_at_level_60"]), person.level), plan="visio")


def generate(n: int, seed: int, progress: Progress | None = None
             ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Employee and grant rows (store column order) for n people; same n and seed, same rows."""
    if n < 1:
        raise ValueError("the population needs at least one person")
    gen = _Generator(n, seed, load_shape())
    pop = gen.shape["population"]
    showcase = gen.showcase()[:n]
    directors = min(int(pop["directors"]) - 1, max(0, n - len(showcase)) // 100)  # one is in the showcase
    people = showcase + [
        _Person("United States", 80, worker_type="director", cohort="director", hire_date=date(1999, 11, 10))
        for _ in range(directors)
    ]
    people += [gen.random_person() for _ in range(n - len(people))]
    extra_slack = max(0, int(pop["slack_users"]) - len(showcase))
    if extra_slack and len(people) > len(showcase):
        for i in gen.rng.sample(range(len(showcase), len(people)), min(extra_slack, len(people) - len(showcase))):
            people[i].slack = True
    employees: list[tuple[Any, ...]] = []
    grants: list[tuple[Any, ...]] = []
    step = max(1, n // 10)
    for i, person in enumerate(people, start=1):
        eid = f"E{i:06d}"
        name, email = gen.name_and_email(person.country)
        slack = gen.slack_id() if person.slack else None
        employees.append((eid, name, email, slack, person.country, person.level, person.worker_type, person.status))
        grants.extend(gen.grants(eid, person))
        if progress and n >= 5000 and i % step == 0:
            progress(f"demo-data: {i:,} of {n:,} people generated")
    return employees, grants


@dataclass(frozen=True)
class DemoSummary:
    employees: int
    grants: int
    seconds: float
    path: str


def build(db: Database, n: int, seed: int, progress: Progress | None = None) -> DemoSummary:
    """Replace the employees and grants of db with the demo population, in one transaction."""
    started = time.perf_counter()
    employees, grants = generate(n, seed, progress)
    if progress and n >= 5000:
        progress(f"demo-data: writing {len(employees):,} employees and {len(grants):,} grants")
    with db.atomic():
        store.replace_rows(db, "employees", employees, store.EMPLOYEE_COLUMNS)
        store.replace_rows(db, "grants", grants, store.GRANT_COLUMNS)
        store.set_meta(db, "demo", f"employees={n} seed={seed}")
        store.fill_person_docs(db)
    return DemoSummary(len(employees), len(grants), time.perf_counter() - started,
                       str(getattr(db.conn, "filename", "")) or "")


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_at(path: str | Path, n: int | None = None, seed: int | None = None,
             progress: Progress | None = None) -> DemoSummary:
    db = store.open_db(path)
    try:
        summary = build(db, n or default_employees(), default_seed() if seed is None else seed, progress)
    finally:
        db.close()
    return DemoSummary(summary.employees, summary.grants, summary.seconds, str(path))
