"""A minimal hand-written Personio reader: the yardstick `tools.benchmark` measures source-personio against.

    python -m tools.benchmark.reference_reader [read] --config config.json --plan "$(python -m tools.benchmark.reference_reader --print-plan)" > /dev/null

It does what the connector does, in the plainest way: requests + json, one request at a time, one token
for the whole run. The same endpoints, page sizes, updated_at windows and filter values as the connector's
manifest (windows start at start_date, each `window_size_days` (persons: `persons_window_size_days`) long
minus one second, the last one ending now; the requests widen each window by one second the same way), next
links followed until the last page, `updated_at` rewritten in UTC when it is not already, and the same
Airbyte RECORD messages written to stdout, one per line. No state, no schema, no concurrency, and only a
simple retry on 429 and 5xx (the benchmark does not throttle it).

Reads the config keys client_id, client_secret, api_url, start_date and the window sizes. What it reads comes
in `--plan` (JSON: per stream, its path, page size, window length and setting, and whether its window operators
are strict), which the benchmark builds from the manifest's facts (`plan()`): this program itself imports nothing
heavier than requests, so its CPU time is the reading's. Prints a one-line summary to stderr.
"""
import argparse
import json
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator, List, Optional, Tuple

import requests

# The manifest's start date when the config names none.
DEFAULT_START = "2010-01-01T00:00:00Z"
SECOND = timedelta(seconds=1)
_HOST = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//[^/]*")


def parse_instant(text: str) -> datetime:
    """RFC 3339 text (or a plain date) as an aware datetime; naive values are UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def start_of(config: dict) -> datetime:
    """Where the connector's first window starts: the config's start date (or the default), whole seconds, UTC."""
    return parse_instant(config.get("start_date") or DEFAULT_START).astimezone(timezone.utc).replace(microsecond=0)


def plan() -> dict:
    """What to read, from the manifest: each windowed list with its path, page size, windows and operators."""
    from tools.stream_facts import FACTS  # here, not at the top: the reader itself runs without it

    return {name: {"path": "/v2/" + FACTS[name].endpoint, "page_size": FACTS[name].page_size,
                   "window_days": FACTS[name].window_days, "window_setting": FACTS[name].window_setting,
                   "strict": FACTS[name].strict_window} for name in FACTS.windowed_lists}


def window_days(config: dict, step: dict) -> int:
    """The connector's window length for one stream of the plan: the config's, else the manifest's default."""
    return int(config.get(step["window_setting"]) or step["window_days"])


def windows(start: datetime, days: int, now: datetime) -> List[Tuple[datetime, datetime]]:
    """The connector's windows: [start, start + days - 1 s], then consecutive ones, the last ending at
    `now` (cut to whole seconds, as the connector's state format has no fraction)."""
    now = now.replace(microsecond=0)
    step = timedelta(days=days)
    out = []
    lower = start
    while lower <= now:
        upper = lower + step
        if upper >= now:
            out.append((lower, now))
            break
        out.append((lower, upper - SECOND))
        lower = upper
    return out


def window_filters(strict: bool, lower: datetime, upper: datetime) -> dict:
    """The first page's updated_at filters for one window, exactly as the connector sends them."""
    if strict:  # strict operators, RFC 3339 in UTC (persons)
        return {"updated_at.gt": (lower - SECOND).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_at.lt": (upper + SECOND).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return {"updated_at.gte": lower.strftime("%Y-%m-%dT%H:%M:%S"),  # inclusive, no offset
            "updated_at.lte": (upper + SECOND).strftime("%Y-%m-%dT%H:%M:%S")}


def utc_updated_at(record: dict) -> None:
    """updated_at in UTC with `Z`, as the connector emits it (a fraction is kept when there is one)."""
    value = record.get("updated_at")
    if isinstance(value, str) and not value.endswith("Z"):
        moment = datetime.fromisoformat(value).astimezone(timezone.utc)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        record["updated_at"] = text.replace(".000000Z", "Z")
    elif "updated_at" not in record:
        record["updated_at"] = None


class Reader:
    def __init__(self, config: dict, plan: dict, out=sys.stdout):
        self.plan = plan
        self.base = (config.get("api_url") or "https://api.personio.de").rstrip("/")
        self.config = config
        self.out = out
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json",
                                     "X-Personio-App-ID": config.get("app_id") or "AIRBYTE_SOURCE_PERSONIO"})
        self.requests = 0
        self.retries = 0

    def login(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": self.config["client_id"],
                "client_secret": self.config["client_secret"]}
        response = self.session.post(self.base + "/v2/auth/token", data=form, timeout=60)
        self.requests += 1
        response.raise_for_status()
        self.session.headers["Authorization"] = "Bearer " + response.json()["access_token"]

    def get(self, url: str, params: Optional[dict]) -> dict:
        for attempt in range(8):
            response = self.session.get(url, params=params, timeout=60)
            self.requests += 1
            if response.status_code == 429 or response.status_code >= 500:
                self.retries += 1
                time.sleep(min(2 ** attempt, 30) * 0.5)
                continue
            response.raise_for_status()
            return response.json()
        response.raise_for_status()
        raise RuntimeError(f"gave up on {url}")

    def pages(self, stream: str, filters: dict) -> Iterator[list]:
        step = self.plan[stream]
        url, params = self.base + step["path"], {"limit": step["page_size"], **filters}
        while True:
            body = self.get(url, params)
            data = body.get("_data") or []
            yield data
            links = (body.get("_meta") or {}).get("links") or {}
            href = _HOST.sub("", (links.get("next") or {}).get("href") or "")
            self_href = _HOST.sub("", (links.get("self") or {}).get("href") or "")
            if not data or not href or href == self_href:
                return
            url, params = self.base + href, None  # the cursor carries the window

    def read(self, stream: str, now: datetime) -> int:
        start, days = start_of(self.config), window_days(self.config, self.plan[stream])
        count = 0
        write = self.out.write
        dumps = json.dumps
        for lower, upper in windows(start, days, now):
            for data in self.pages(stream, window_filters(self.plan[stream]["strict"], lower, upper)):
                emitted_at = int(time.time() * 1000)
                for record in data:
                    utc_updated_at(record)
                    write(dumps({"type": "RECORD", "record": {"stream": stream, "data": record,
                                                              "emitted_at": emitted_at}},
                                ensure_ascii=False, separators=(",", ":")) + "\n")
                count += len(data)
        return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark.reference_reader", description=__doc__.splitlines()[0])
    # `read`, as the connector's command line takes it, so one runner starts both programs
    parser.add_argument("command", nargs="?", choices=["read"], default="read")
    parser.add_argument("--config")
    parser.add_argument("--plan", help="JSON: what to read (see plan()); every stream of it, in its order")
    parser.add_argument("--print-plan", action="store_true", help="print the plan the manifest gives, and exit")
    args = parser.parse_args(argv)
    if args.print_plan:
        print(json.dumps(plan()))
        return 0
    if not args.config or not args.plan:
        parser.error("--config and --plan are required")
    with open(args.config) as handle:
        config = json.load(handle)
    streams = list(json.loads(args.plan))
    started = time.monotonic()
    reader = Reader(config, json.loads(args.plan))
    reader.login()
    now = datetime.now(timezone.utc)
    counts = {stream: reader.read(stream, now) for stream in streams}
    sys.stdout.flush()
    sys.stderr.write(json.dumps({"records": counts, "requests": reader.requests, "retries": reader.retries,
                                 "seconds": round(time.monotonic() - started, 3)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
