"""Stream names: the emulator's key for an endpoint in settings.rate_limits, stats, faults,
unlicensed_modules and the company API. A module of its own so faults.py and settings.py can
share it without importing each other."""

# The three endpoints the connector first read, held in the (updated_at, id) index of company.py.
BASE_STREAMS = ("persons", "absence_periods", "attendance_periods")
# The endpoints of contract section 7, built lazily by extra.py on first use.
MORE_STREAMS = (
    "employments", "org_units", "legal_entities", "workplaces", "cost_centers", "jobs", "salary_bands",
    "absence_types", "absence_period_breakdowns", "projects", "compensations", "compensation_types",
    "recruiting_applications", "recruiting_candidates", "recruiting_jobs", "recruiting_categories",
)
ALL_STREAMS = BASE_STREAMS + MORE_STREAMS
