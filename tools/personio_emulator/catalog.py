"""The company's structure: org units, legal entities, workplaces, cost centers, jobs, salary bands,
absence types, projects, compensation types and the recruiting jobs and categories.

These lists are small (a few thousand records for 100,000 persons), never change after they are
built, and are built on first use from one rng per list, so changing one count leaves the others
byte-identical. Absence types and projects are the ids the generator already drew for the periods.
"""
import math
import random
from typing import Dict, List, Optional

from . import times
from .generator import hashed_uuid

DEPARTMENT_NAMES = [
    "Engineering", "Sales", "Marketing", "Finance", "People & Culture", "Customer Success", "Operations",
    "Legal", "Product", "Design", "IT", "Procurement", "Logistics", "Research", "Qualität & Prüfung",
]
TEAM_NAMES = [
    "Platform", "Payments", "Onboarding", "Mobile", "Data", "Growth", "Field Sales EMEA", "Inside Sales",
    "Recruiting", "Payroll", "Support Tier 1", "Brand", "Controlling", "Infra / SRE", "Ümlaut Crew",
]
CITIES = ["München HQ", "Berlin", "London", "Madrid", "Amsterdam", "Remote", "Wien", "Zürich", "Dublin",
          "Lisbon", "New York", "Kraków"]
# (country, company form, currency)
COUNTRIES = [("DE", "GmbH", "EUR"), ("GB", "Ltd", "GBP"), ("ES", "S.L.", "EUR"), ("NL", "B.V.", "EUR"),
             ("AT", "GmbH", "EUR"), ("CH", "AG", "CHF"), ("US", "Inc.", "USD"), ("FR", "SAS", "EUR")]
JOB_TITLES = [
    "Software Engineer", "Account Executive", "Product Manager", "Data Analyst", "Office Manager",
    "Customer Success Manager", "HR Business Partner", "Accountant", "UX Designer", "Sales Development Rep",
    "Warehouse Associate", "Site Reliability Engineer", "Marketing Manager", "Legal Counsel", "Team Lead",
    "Werkstudent:in", "Controller", "Recruiter", "Support Specialist", "Head of Operations",
]
# Absence types in the order of Generator.absence_types: (name, category, unit)
ABSENCE_TYPES = [
    ("Paid vacation", "PAID_VACATION", "DAY"), ("Sick leave", "SICK_LEAVE", "DAY"),
    ("Parental leave", "PARENTAL_LEAVE", "DAY"), ("Overtime reduction", "OVERTIME", "HOUR"),
    ("Doctor's appointment", "OTHER", "HOUR"), ("Unpaid leave", "UNPAID_LEAVE", "DAY"),
]
PROJECT_NAMES = ["Website relaunch", "ERP migration", "Customer portal", "Audit 2024", "Onboarding app",
                 "Data warehouse", "Messe München", "Internal tooling"]
CLIENTS = ["ACME Corp.", "Globex GmbH", "Initech", "Umbrella S.A.", "Stark & Söhne"]
# (name, category); compensations.py uses them by position: 0 salary, 1-2 allowances, 3-4 one-offs
COMPENSATION_TYPES = [("Base salary", "SALARY"), ("Allowance", "ALLOWANCE"), ("Company car", "BENEFIT"),
                      ("Bonus", "BONUS"), ("Commission", "COMMISSION")]
RECRUITING_CATEGORIES = ["Engineering", "Sales", "Operations", "People", "Marketing", "Finance"]
RECRUITING_JOB_STATUSES = ["OPEN"] * 6 + ["CLOSED"] * 3 + ["DRAFT"]


def structure_sizes(settings) -> Dict[str, int]:
    """Every count of the structure: the setting when given, else scaled with the persons."""
    p = settings.persons
    given = {name: getattr(settings, name) for name in (
        "departments", "teams", "workplaces", "cost_centers", "jobs", "legal_entities", "salary_bands",
        "recruiting_categories", "recruiting_jobs", "recruiting_candidates", "recruiting_applications")}

    def pick(name, default):
        return given[name] if given[name] is not None else default
    sizes = {
        "departments": pick("departments", max(2, p // 25)),
        "teams": pick("teams", max(2, p // 10)),
        "workplaces": pick("workplaces", max(2, math.isqrt(p) // 2)),
        "cost_centers": pick("cost_centers", max(3, math.isqrt(p))),
        "jobs": pick("jobs", max(5, p // 8)),
        "legal_entities": pick("legal_entities", 1 if p < 30 else 2 if p < 500 else 3),
        "recruiting_categories": pick("recruiting_categories", 4 if p < 500 else 6),
        "recruiting_jobs": pick("recruiting_jobs", min(500, max(3, p // 20))),
        # recruiting pipelines do not grow with headcount for ever: capped so 100,000 persons stay cheap
        "recruiting_candidates": pick("recruiting_candidates", min(10_000, max(20, p))),
    }
    sizes["salary_bands"] = pick("salary_bands", max(3, sizes["jobs"] // 2))
    sizes["recruiting_applications"] = pick("recruiting_applications", sizes["recruiting_candidates"] * 3 // 2)
    return sizes


def _digit_ids(rng: random.Random, count: int, start: int) -> List[str]:
    """Increasing digit-string ids with gaps, as int64 database ids look."""
    out, current = [], start + rng.randrange(1000)
    for _ in range(count):
        current += rng.randint(1, 9)
        out.append(str(current))
    return out


def _name(names: List[str], i: int) -> str:
    """The i-th name, numbered once the list is used up, so names stay unique."""
    base = names[i % len(names)]
    return base if i < len(names) else f"{base} {i // len(names) + 1}"


class Catalog:
    def __init__(self, gen, sizes: Dict[str, int], collide: bool):
        self.seed = gen.seed
        self.start_us, self.end_us = gen.start_us, gen.end_us
        self._org_units(sizes["departments"], sizes["teams"], collide)
        self._legal_entities(sizes["legal_entities"])
        rng = self._rng("workplaces")
        self.workplaces = [{"id": i, "name": _name(CITIES, k)}
                           for k, i in enumerate(_digit_ids(rng, sizes["workplaces"], 400_000))]
        rng = self._rng("cost_centers")
        self.cost_centers = [{"id": i, "name": f"CC-{100 + 10 * k} {_name(DEPARTMENT_NAMES, k)}"}
                             for k, i in enumerate(_digit_ids(rng, sizes["cost_centers"], 500_000))]
        rng = self._rng("salary_bands")
        self.salary_bands = [{"id": i, "name": f"Band {'ABCDEFGH'[k % 8]}{k // 8 + 1}"}
                             for k, i in enumerate(_digit_ids(rng, sizes["salary_bands"], 600_000))]
        self._jobs(sizes["jobs"])
        self.absence_types = [{"id": type_id, "name": name, "category": category, "unit": unit}
                              for type_id, (name, category, unit) in zip(gen.absence_types, ABSENCE_TYPES)]
        self.unit_of_absence_type = {t["id"]: t["unit"] for t in self.absence_types}
        self._projects(gen.projects)
        self.compensation_types = [{"id": hashed_uuid(self.seed, "compensation-type", k), "name": name,
                                    "category": category} for k, (name, category) in enumerate(COMPENSATION_TYPES)]
        rng = self._rng("recruiting_categories")
        self.recruiting_categories = [{"id": i, "name": _name(RECRUITING_CATEGORIES, k)}
                                      for k, i in enumerate(_digit_ids(rng, sizes["recruiting_categories"], 800_000))]
        self._recruiting_jobs(sizes["recruiting_jobs"])

    def _rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.seed}-catalog-{stream}")

    def _instant(self, rng: random.Random, after_us: Optional[int] = None) -> int:
        """A whole-second instant between `after_us` (or the data start) and the data end."""
        low = self.start_us if after_us is None else after_us
        return low + rng.randrange(max(1, (self.end_us - low) // times.SECOND)) * times.SECOND

    def _org_units(self, departments: int, teams: int, collide: bool) -> None:
        rng = self._rng("org_units")
        department_ids = _digit_ids(rng, departments, 2_000_000)
        fresh = _digit_ids(rng, teams, int(department_ids[-1]) + 1000)
        # colliding: every other team reuses a department's id; all team ids stay unique among teams
        team_ids = [department_ids[k] if collide and k % 2 == 0 and k < departments else fresh[k]
                    for k in range(teams)]
        self.departments = self._tree(rng, "department", department_ids, DEPARTMENT_NAMES, max(1, departments // 5))
        self.teams = self._tree(rng, "team", team_ids, TEAM_NAMES, 1)
        self.parent_chain = {}  # (type, id) -> ancestor ids, nearest first
        for units in (self.departments, self.teams):
            by_id = {u["id"]: u for u in units}
            for unit in units:
                chain, parent = [], unit["parent"]
                while parent is not None:
                    chain.append(parent["id"])
                    parent = by_id[parent["id"]]["parent"]
                self.parent_chain[(unit["type"], unit["id"])] = chain

    def _tree(self, rng, kind: str, ids: List[str], names: List[str], roots: int) -> List[dict]:
        """Units whose parent is an earlier unit of the same type (or none), so the tree has no cycle."""
        units = []
        for k, unit_id in enumerate(ids):
            parent = None
            if k >= roots and (kind == "department" or rng.random() < 0.5):
                parent = {"id": ids[rng.randrange(k)], "type": kind}
            name = _name(names, k)
            abbreviation = None if kind == "team" and rng.random() < 0.3 else name[:3].upper()
            units.append({"id": unit_id, "type": kind, "name": name, "abbreviation": abbreviation, "parent": parent})
        return units

    def _legal_entities(self, count: int) -> None:
        rng = self._rng("legal_entities")
        self.legal_entities, self.currency = [], {}
        created = self.start_us - 3 * 365 * times.DAY  # the first entity predates the data
        for k, entity_id in enumerate(_digit_ids(rng, count, 100_000)):
            country, form, currency = COUNTRIES[k % len(COUNTRIES)]
            name = f"Example Company {form}" if k == 0 else f"Example Company {country} {form}"
            if k >= len(COUNTRIES):
                name += f" {k // len(COUNTRIES) + 1}"
            updated = self._instant(rng, created)
            self.legal_entities.append({"id": entity_id, "name": name, "country": country,
                                        "created_at": times.render(created), "updated_at": times.render(updated),
                                        "_created_us": created})
            self.currency[entity_id] = currency
            created = self._instant(rng, created)
        # newest first, as the API serves them; the private sort key leaves before rendering
        self.legal_entities.sort(key=lambda e: (-e["_created_us"], e["id"]))
        for entity in self.legal_entities:
            del entity["_created_us"]

    def _jobs(self, count: int) -> None:
        rng = self._rng("jobs")
        band_ids = [b["id"] for b in self.salary_bands]
        self.jobs = []
        for k, number in enumerate(_digit_ids(rng, count, 700_000)):
            bands = sorted(rng.sample(band_ids, min(len(band_ids), rng.choice([0, 1, 1, 1, 2]))), key=int)
            # an employment's job.id has format uuid in the published definition, so job ids are UUIDs
            job_id = hashed_uuid(self.seed, "job", number)
            self.jobs.append({"id": job_id, "name": _name(JOB_TITLES, k), "salary_band_ids": bands})

    def _projects(self, project_ids: List[str]) -> None:
        rng = self._rng("projects")
        self.projects = []
        for k, project_id in enumerate(project_ids):
            created = self._instant(rng)
            parent = None
            if k >= 3 and rng.random() < 0.5:
                parent = {"id": project_ids[rng.randrange(k)]}
            client = None if rng.random() < 0.3 else rng.choice(CLIENTS)
            cost_center = {"id": rng.choice(self.cost_centers)["id"]} if rng.random() < 0.7 else None
            self.projects.append({
                "id": project_id, "name": _name(PROJECT_NAMES, k), "project_code": f"PRJ-{1000 + 7 * k}",
                "client_name": client, "billable": client is not None, "status": "ACTIVE" if k < 6 else "INACTIVE",
                "cost_center": cost_center, "parent_project": parent,
                "created_at": times.render(created), "updated_at": times.render(self._instant(rng, created)),
            })

    def _recruiting_jobs(self, count: int) -> None:
        rng = self._rng("recruiting_jobs")
        categories = [c["id"] for c in self.recruiting_categories]
        self.recruiting_jobs = []
        for k, job_id in enumerate(_digit_ids(rng, count, 900_000)):
            self.recruiting_jobs.append({
                "id": job_id, "name": f"{_name(JOB_TITLES, k)} ({rng.choice(CITIES)})",
                "status": rng.choice(RECRUITING_JOB_STATUSES), "category": {"id": rng.choice(categories)},
                "created_at": times.render(self._instant(rng)),
            })

    def lists(self) -> Dict[str, List[dict]]:
        """The static streams, records in the API's default order (org units by type)."""
        return {
            "legal_entities": self.legal_entities, "workplaces": self.workplaces, "cost_centers": self.cost_centers,
            "jobs": self.jobs, "salary_bands": self.salary_bands, "absence_types": self.absence_types,
            "projects": self.projects, "compensation_types": self.compensation_types,
            "recruiting_jobs": self.recruiting_jobs,
            "recruiting_categories": self.recruiting_categories,
        }
