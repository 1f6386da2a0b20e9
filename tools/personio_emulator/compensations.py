"""Compensations: plans derived from each employment, and what a date range shows of them.

A plan is a base salary (MONTHLY or YEARLY amount), an allowance, or a ONE_TIME bonus. Plans
exist only within the last `compensation_months` calendar months up to data_end's month, so a
large company stays small. A recurring plan shows once in every month it is effective, dated by
that month's first day: a range shows month M when it holds M's first day, so a calendar-month
range shows each month once, and a range holding two first days (2024-01-01..2024-02-01) shows
both. A ONE_TIME plan shows once, when the range holds its effective_from.

The served id: the plan's own id every month (compensation_ids_recur, the default), or a
distinct id per month (the contract's other variant). Compensations carry no updated_at.
"""
import random
from datetime import date
from typing import Dict, List, NamedTuple, Optional, Tuple

from .employments import day_date, day_number
from .generator import hashed_uuid

SALARY, ALLOWANCES, ONE_OFFS = 0, (1, 2), (3, 4)  # positions in catalog.compensation_types


class Plan(NamedTuple):
    id: str
    person_id: str
    legal_entity_id: str
    type_index: int
    interval: str  # MONTHLY | YEARLY | ONE_TIME
    currency: str
    amount: float
    effective_from: str  # YYYY-MM-DD
    first: int  # month numbers (year * 12 + month - 1), inclusive
    last: int


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def month_end(month: int) -> date:
    return date.fromordinal(month_start(month + 1).toordinal() - 1)


def month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def parse_month(text: str) -> int:
    """"YYYY-MM" as a month number; ValueError otherwise."""
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit() or not 1 <= int(month) <= 12:
        raise ValueError(f"month must be YYYY-MM, got {text!r}")
    return int(year) * 12 + int(month) - 1


def plans(seed: int, employment_id: str, person: str, basis: tuple, currency: Dict[str, str],
          window: Tuple[int, int], end_day: int) -> List[Plan]:
    """The plans of one employment (its id, person id and basis) within the window of months."""
    start, last_day, legal_entity, weekly, full = basis
    first_month = max(month_of(day_date(start)), window[0])
    last_month = window[1] if last_day is None else min(month_of(day_date(last_day)), window[1])
    if first_month > last_month:
        return []
    rng = random.Random(int(employment_id.replace("-", ""), 16) ^ seed)  # an int seed: half the cost of text
    money = currency.get(legal_entity, "EUR")
    out = []

    def plan(type_index, interval, amount, effective_from, first, last):
        out.append(Plan(hashed_uuid(seed, "compensation", employment_id, len(out)), person, legal_entity,
                        type_index, interval, money, round(float(amount), 2), effective_from, first, last))

    start_text = day_date(start).isoformat()
    monthly = rng.randrange(2800, 9500, 50) * weekly / full
    yearly = rng.random() < 0.35
    salary = monthly * 12 if yearly else monthly
    if last_month > first_month and rng.random() < 0.5:  # a raise, effective on a first of the month
        raised = rng.randint(first_month + 1, last_month)
        plan(SALARY, "YEARLY" if yearly else "MONTHLY", salary, start_text, first_month, raised - 1)
        salary = round(salary * rng.uniform(1.03, 1.10), -1)
        plan(SALARY, "YEARLY" if yearly else "MONTHLY", salary, month_start(raised).isoformat(), raised, last_month)
    else:
        plan(SALARY, "YEARLY" if yearly else "MONTHLY", salary, start_text, first_month, last_month)
    if rng.random() < 0.2:
        begins = rng.randint(first_month, last_month)
        since = start_text if begins == month_of(day_date(start)) else month_start(begins).isoformat()
        plan(rng.choice(ALLOWANCES), "MONTHLY", rng.randrange(50, 400, 10), since, begins, last_month)
    latest = end_day if last_day is None else min(end_day, last_day)
    for month in range(first_month, last_month + 1):
        if rng.random() < 0.04:  # a one-off now and then: about one every two years
            day = day_number(month_start(month).isoformat()) + rng.randrange(28)
            if start <= day <= latest:
                text = day_date(day).isoformat()
                plan(rng.choice(ONE_OFFS), "ONE_TIME", rng.randrange(250, 5000, 50), text, month, month)
    return out


def shown(plan: Plan, start: date, end: date) -> List[int]:
    """The months of `plan` a range [start, end] (at most a month long) shows."""
    if plan.interval == "ONE_TIME":
        return [plan.first] if start.isoformat() <= plan.effective_from <= end.isoformat() else []
    first = month_of(start) + (start.day != 1)
    return [m for m in range(max(first, plan.first), min(month_of(end), plan.last) + 1)]


def served_id(plan: Plan, month: int, recur: bool) -> str:
    if recur or plan.interval == "ONE_TIME":
        return plan.id
    return hashed_uuid(plan.id, month_text(month))


def record(plan: Plan, month: int, recur: bool, types: List[dict], amount: Optional[float]) -> dict:
    kind = types[plan.type_index]
    return {
        "id": served_id(plan, month, recur),
        "person": {"id": plan.person_id},
        "legal_entity": {"id": plan.legal_entity_id},
        "type": {"id": kind["id"], "name": kind["name"], "category": kind["category"]},
        "amount": {"value": plan.amount if amount is None else amount, "currency": plan.currency},
        "interval": plan.interval,
        "effective_from": plan.effective_from,
    }


def add_month(day: date) -> date:
    """The same day a calendar month later, or that month's last day (Jan 31 -> Feb 28/29)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, last)
        except ValueError:
            continue
    raise ValueError(day)
