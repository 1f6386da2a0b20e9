-- Questions an analyst asks of the synced Personio tables, in DuckDB SQL.
--
-- `make demo` runs each query on the DuckDB file it fills from its sync (output/personio.duckdb), and
-- integration_tests/test_end_to_end.py checks the answers against the emulator's own records. The tables hold
-- one row per record, deduplicated by primary key; nested objects and arrays are JSON columns, ids are text.
-- `col->>'id'` is a JSON key as text; in DuckDB `->>` binds more loosely than `=`, hence the parentheses.
-- Each query starts at a `-- name:` line; the `-- title:` line is what the demo prints above its answer.

-- name: headcount_by_department
-- title: Headcount by department (active employments; a person counts once per department)
-- An employment lists its org units as {"type", "id"} items; a department and a team may share an id, so the
-- join is on both.
WITH employment_units AS (
    SELECT e.person->>'id'              AS person_id,
           unnest(e.org_units->'$[*]')  AS unit
    FROM employments e
    WHERE e.status = 'ACTIVE'
)
SELECT d.name                        AS department,
       count(DISTINCT eu.person_id)  AS headcount
FROM employment_units eu
JOIN org_units d ON d.type = 'department'
                AND CAST(d.id AS VARCHAR) = (eu.unit->>'id')
WHERE (eu.unit->>'type') = 'department'
GROUP BY d.id, d.name
ORDER BY headcount DESC, department;

-- name: leave_days_by_absence_type
-- title: Leave days by absence type this year (approved absences, types counted in days)
-- One breakdown row per calendar day of an absence (0 on a day off, 0.5 on a half day). Types counted in hours
-- are left out rather than added to days.
SELECT t.name                                               AS absence_type,
       sum(CAST(b.effective_duration->>'value' AS DOUBLE))  AS days
FROM absence_period_breakdowns b
JOIN absence_periods a ON a.id = b.absence_period_id
JOIN absence_types t   ON CAST(t.id AS VARCHAR) = (a.absence_type->>'id')
WHERE t.unit = 'DAY'
  AND (b.effective_duration->>'unit') = 'DAY'
  AND (a.approval->>'status') = 'APPROVED'
  AND CAST(b.date AS DATE) >= date_trunc('year', current_date)
  AND CAST(b.date AS DATE) <  date_trunc('year', current_date) + INTERVAL 1 YEAR
GROUP BY t.id, t.name
ORDER BY days DESC, absence_type;

-- name: hours_per_project_last_month
-- title: Hours worked per project last month (work periods with an end, not rejected, by attribution date)
-- `end` is a reserved word. A period still running has no end and is left out; start and end are local
-- wall-clock times, so a clock change inside a period is not accounted for. Personio's contract is unsure
-- whether the status comes as `status` or `approval.status`: either is read.
SELECT pr.name  AS project,
       round(sum(epoch(CAST(ap."end"->>'date_time' AS TIMESTAMP))
               - epoch(CAST(ap.start->>'date_time' AS TIMESTAMP))) / 3600, 1)  AS hours
FROM attendance_periods ap
JOIN projects pr ON CAST(pr.id AS VARCHAR) = (ap.project->>'id')
WHERE ap.type = 'WORK'
  AND (ap."end"->>'date_time') IS NOT NULL
  AND coalesce(ap.status, ap.approval->>'status') IS DISTINCT FROM 'REJECTED'
  AND CAST(ap.attribution_date AS DATE) >= date_trunc('month', current_date) - INTERVAL 1 MONTH
  AND CAST(ap.attribution_date AS DATE) <  date_trunc('month', current_date)
GROUP BY pr.id, pr.name
ORDER BY hours DESC, project;

-- name: open_applications_per_job
-- title: Open applications per recruiting job
-- Personio does not document the application statuses: check yours with
-- `SELECT DISTINCT status FROM recruiting_applications` and adjust the list.
SELECT j.name    AS job,
       count(*)  AS open_applications
FROM recruiting_applications a
JOIN recruiting_jobs j ON CAST(j.id AS VARCHAR) = (a.job->>'id')
WHERE a.status NOT IN ('HIRED', 'REJECTED', 'WITHDRAWN')
GROUP BY j.id, j.name
ORDER BY open_applications DESC, job;

-- name: median_days_to_hire_per_job
-- title: Median days to hire per recruiting job (application created to its first move into the Hired stage)
-- One row per stage an application entered; stage names are the company's own, so adjust 'hired' to yours.
WITH hired AS (
    SELECT application_id,
           min(CAST(created_at AS TIMESTAMPTZ))  AS hired_at
    FROM recruiting_application_stage_transitions
    WHERE lower(stage->>'name') = 'hired'
    GROUP BY application_id
)
SELECT j.name  AS job,
       round(median(epoch(h.hired_at) - epoch(CAST(a.created_at AS TIMESTAMPTZ))) / 86400, 1)  AS median_days_to_hire
FROM hired h
JOIN recruiting_applications a ON CAST(a.id AS VARCHAR) = CAST(h.application_id AS VARCHAR)
JOIN recruiting_jobs j         ON CAST(j.id AS VARCHAR) = (a.job->>'id')
GROUP BY j.id, j.name
ORDER BY median_days_to_hire DESC, job;
