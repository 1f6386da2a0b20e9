"""Tokens, scopes and licensed modules: who may read what, and what the refusal says.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import pytest
import requests

from tools.personio_emulator import EmulatorSettings
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.settings import ALL_SCOPES
from tools.personio_emulator.tests.helpers import (ABSENCES, APPLICATIONS, ATTENDANCES, CANDIDATES, CATEGORIES,
                                                   ENDPOINTS, ENDPOINT_IDS, JOBS, PERSONS, PROJECTS, RECRUITING_JOBS,
                                                   TYPES, WORKPLACES, client, employments_path, error_title, get, ids,
                                                   needs, token_response, walk)


# -- authentication ---------------------------------------------------------------------------

class TestToken:
    def test_form_body_gets_a_bearer_token_with_all_granted_scopes(self, personio_emulator):
        response = token_response(personio_emulator)
        body = response.json()
        assert response.status_code == 200
        assert body["access_token"].startswith("papi-")
        assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
        assert set(body["scope"].split()) == ALL_SCOPES  # the default credential holds every scope

    def test_json_body_is_rejected(self, personio_emulator):
        emu = personio_emulator
        response = requests.post(emu.token_url, json={"grant_type": "client_credentials", "client_id": emu.client_id,
                                                      "client_secret": emu.client_secret}, timeout=5)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"

    @pytest.mark.parametrize("status", [400, 401])
    def test_wrong_secret_or_unknown_client_is_invalid_client(self, make_personio_emulator, status):
        emu = make_personio_emulator(auth_error_status=status)
        for form in ({"client_secret": "wrong"}, {"client_id": "someone-else"}):
            response = token_response(emu, **form)
            assert response.status_code == status and response.json()["error"] == "invalid_client"

    def test_scope_can_be_narrowed_but_not_widened(self, make_personio_emulator):
        emu = make_personio_emulator(granted_scopes={"personio:persons:read"})
        assert token_response(emu, scope="personio:persons:read").json()["scope"] == "personio:persons:read"
        assert token_response(emu, scope="personio:absences:read").json()["error"] == "invalid_scope"

    def test_token_expires_after_its_lifetime(self, make_personio_emulator):
        emu = make_personio_emulator(token_lifetime_seconds=60)
        session = client(emu)
        assert get(emu, PERSONS, session).status_code == 200
        emu.advance_clock(61)
        response = get(emu, PERSONS, session)
        assert response.status_code == 401 and error_title(response) == "Unauthorized"

    def test_revoked_unknown_or_missing_tokens_get_401(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        emu.revoke_tokens()
        assert get(emu, PERSONS, session).status_code == 401
        assert requests.get(emu.url + PERSONS, headers={"Authorization": "Bearer papi-nope"}, timeout=5).status_code == 401
        assert requests.get(emu.url + PERSONS, timeout=5).status_code == 401

    def test_revoke_endpoint_ends_one_token(self, personio_emulator):
        emu = personio_emulator
        token = token_response(emu).json()["access_token"]
        assert requests.post(emu.url + "/v2/auth/revoke", data={"token": token}, timeout=5).status_code == 200
        assert requests.get(emu.url + PERSONS, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 401

    def test_token_endpoint_allows_150_a_minute(self, personio_emulator):
        emu = personio_emulator
        session = requests.Session()
        statuses = [session.post(emu.token_url, data={"grant_type": "client_credentials", "client_id": emu.client_id,
                                                       "client_secret": emu.client_secret}).status_code for _ in range(151)]
        assert statuses[:150] == [200] * 150 and statuses[150] == 429


class TestScopes:
    def test_missing_scope_is_403_insufficient_access_scope(self, make_personio_emulator):
        emu = make_personio_emulator(granted_scopes={"personio:absences:read", "personio:attendances:read"})
        response = get(emu, PERSONS)
        assert response.status_code == 403 and error_title(response) == "Insufficient access scope"
        assert get(emu, ABSENCES).status_code == 200

    def test_persons_variant_answers_401(self, make_personio_emulator):
        emu = make_personio_emulator(persons_missing_scope_status=401, granted_scopes={"personio:absences:read"})
        assert get(emu, PERSONS).status_code == 401
        assert get(emu, ATTENDANCES).status_code == 403

    def test_withdrawing_a_scope_applies_to_live_tokens(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        emu.settings.granted_scopes = {"personio:persons:read"}
        assert get(emu, ATTENDANCES, session).status_code == 403


# -- scopes and modules -----------------------------------------------------------------------

class TestScopesOfEveryList:
    @pytest.mark.parametrize("stream,path,most,default,scope,params", ENDPOINTS, ids=ENDPOINT_IDS)
    def test_each_scope_missing_is_403_naming_it(self, make_personio_emulator, stream, path, most, default, scope,
                                                 params):
        emu = make_personio_emulator(granted_scopes=set(ALL_SCOPES - {scope}))
        response = get(emu, path(emu), **needs(emu, params))
        assert response.status_code == 403 and error_title(response) == "Insufficient access scope"
        assert scope in response.json()["errors"][0]["detail"]

    def test_a_token_narrowed_below_the_scope_is_403(self, personio_emulator):
        emu = personio_emulator
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {emu.issue_token({'personio:persons:read'})}"
        assert get(emu, employments_path(emu), session).status_code == 200
        assert get(emu, WORKPLACES, session).status_code == 403

    def test_employments_follow_the_persons_variant(self, make_personio_emulator):
        emu = make_personio_emulator(persons_missing_scope_status=401,
                                     granted_scopes=set(ALL_SCOPES - {"personio:persons:read"}))
        assert get(emu, employments_path(emu)).status_code == 401
        assert get(emu, TYPES).status_code == 200

    def test_projects_scope_variant(self, make_personio_emulator):
        emu = make_personio_emulator(projects_scope="personio:attendances:read",
                                     granted_scopes=set(ALL_SCOPES - {"personio:projects:read"}))
        assert get(emu, PROJECTS).status_code == 200
        emu.settings.granted_scopes = set(ALL_SCOPES - {"personio:attendances:read"})
        response = get(emu, PROJECTS)
        assert response.status_code == 403 and "personio:attendances:read" in response.json()["errors"][0]["detail"]

    def test_default_credential_holds_every_scope(self, personio_emulator):
        assert personio_emulator.settings.granted_scopes == set(ALL_SCOPES) and len(ALL_SCOPES) == 14

    def test_job_salary_bands_need_their_scope_too(self, make_personio_emulator):
        emu = make_personio_emulator(jobs=20, salary_bands=5)
        with_bands = walk(emu, JOBS)
        assert any(job["salary_band_ids"] for job in with_bands)
        emu.settings.granted_scopes = set(ALL_SCOPES - {"personio:salary-bands:read"})
        without = walk(emu, JOBS)
        assert ids(without) == ids(with_bands) and all(job["salary_band_ids"] == [] for job in without)


class TestModules:
    @pytest.mark.parametrize("stream,path,most,default,scope,params", ENDPOINTS, ids=ENDPOINT_IDS)
    def test_unlicensed_module_is_404_or_412_with_the_scope(self, make_personio_emulator, stream, path, most,
                                                            default, scope, params):
        emu = make_personio_emulator(unlicensed_modules={stream})
        response = get(emu, path(emu), **needs(emu, params))
        if stream == "legal_entities":
            assert response.status_code == 412 and error_title(response) == "No access to legal entities feature"
        else:
            assert response.status_code == 404 and error_title(response) == "Not Found"
        assert get(emu, TYPES if stream != "absence_types" else CATEGORIES).status_code == 200  # others stay on

    def test_switching_a_module_off_applies_to_the_next_request(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        assert get(emu, APPLICATIONS, session).status_code == 200
        emu.settings.unlicensed_modules = {"recruiting_applications", "recruiting_candidates", "recruiting_jobs",
                                           "recruiting_categories"}
        paths = (APPLICATIONS, CANDIDATES, RECRUITING_JOBS, CATEGORIES)
        assert {get(emu, p, session).status_code for p in paths} == {404}

    def test_unknown_module_name_is_refused(self):
        with pytest.raises(ValueError):
            EmulatorSettings(unlicensed_modules={"payroll"})
