"""Run by test_personio_client.py with .venv-personio-client/bin/python: personio-client against a running emulator.

argv: the plan (JSON) and the output path. Every call's result, or its error as text, goes into the output, so one
run reports every disagreement. Only personio-client and the standard library are imported here.
"""
import asyncio
import json
import sys
from datetime import datetime

from personio_client import PersonioClient


def _arguments(kwargs: dict) -> dict:
    """Date-time filters travel as {"datetime": text}: the client wants aware datetimes."""
    return {name: datetime.fromisoformat(value["datetime"]) if isinstance(value, dict) else value
            for name, value in kwargs.items()}


async def _attempt(call):
    try:
        return {"ok": await call()}
    except Exception as error:  # every error is a finding: report it, go on
        return {"error": f"{type(error).__name__}: {error}"}


async def main(plan: dict) -> dict:
    out = {"runs": {}, "persons": {}, "person": {}, "employments": {}, "employment": {}}
    async with PersonioClient(plan["client_id"], plan["client_secret"], base_url=plan["url"], app_id="EMULATOR_TEST",
                              max_retries=0) as client:
        token = await client.obtain_access_token()
        out["token"] = token.model_dump()
        for name, run in plan["runs"].items():
            async def walk(run=run):
                return [p.id async for p in client.iter_persons(limit=run["limit"], **_arguments(run["filters"]))]
            out["runs"][name] = await _attempt(walk)
        async def every_person():
            return [p.model_dump(mode="json", by_alias=True, exclude_unset=True) async for p in client.iter_persons()]
        everyone = await _attempt(every_person)
        out["persons"] = everyone
        for person in everyone.get("ok", []):
            pid = person["id"]
            async def one(pid=pid):
                return (await client.get_person(pid)).model_dump(mode="json", by_alias=True, exclude_unset=True)
            out["person"][pid] = await _attempt(one)
            async def employments(pid=pid):
                return [e.model_dump(mode="json", by_alias=True, exclude_unset=True)
                        async for e in client.iter_employments(pid, limit=1)]
            listed = out["employments"][pid] = await _attempt(employments)
            for employment in listed.get("ok", []):
                async def single(pid=pid, eid=employment["id"]):
                    return (await client.get_employment(pid, eid)).model_dump(mode="json", by_alias=True,
                                                                             exclude_unset=True)
                out["employment"][f"{pid}/{employment['id']}"] = await _attempt(single)
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        result = asyncio.run(main(json.load(handle)))
    with open(sys.argv[2], "w") as handle:
        json.dump(result, handle)
