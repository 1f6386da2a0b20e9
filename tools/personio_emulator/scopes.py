"""The OAuth scopes Personio grants, one per module; a module of its own so the endpoint table, the
token endpoint and the settings share them without importing each other."""

PERSONS_SCOPE = "personio:persons:read"
ABSENCES_SCOPE = "personio:absences:read"
ATTENDANCES_SCOPE = "personio:attendances:read"
ORG_UNITS_SCOPE = "personio:org-units:read"
LEGAL_ENTITIES_SCOPE = "personio:legal-entities:read"
WORKPLACES_SCOPE = "personio:workplaces:read"
COST_CENTERS_SCOPE = "personio:cost-centers:read"
JOBS_SCOPE = "personio:jobs:read"
SALARY_BANDS_SCOPE = "personio:salary-bands:read"
PROJECTS_SCOPE = "personio:projects:read"
COMPENSATIONS_SCOPE = "personio:compensations:read"
RECRUITING_SCOPE = "personio:recruiting:read"
WEBHOOKS_SCOPE = "personio:webhooks:read"
REPORTS_SCOPE = "personio:reports:read"  # not named in the contract: the name the connector's messages use
ALL_SCOPES = frozenset({
    PERSONS_SCOPE, ABSENCES_SCOPE, ATTENDANCES_SCOPE, ORG_UNITS_SCOPE, LEGAL_ENTITIES_SCOPE, WORKPLACES_SCOPE,
    COST_CENTERS_SCOPE, JOBS_SCOPE, SALARY_BANDS_SCOPE, PROJECTS_SCOPE, COMPENSATIONS_SCOPE, RECRUITING_SCOPE,
    REPORTS_SCOPE, WEBHOOKS_SCOPE,
})
