"""How many 100-record pages a second the emulator serves, with no latency and no faults.

    /work/venv/bin/python -m tools.personio_emulator.speed [--pages 1000] [--in-process]

Walks attendance periods by their next links: once with one keep-alive requests.Session while the
records are still unrendered (a first sync), again with the same session (a repeat sync), then with
4 threads of one session each. By default the emulator runs in a child process, as in a connector
benchmark, and the server's own CPU time per page is reported too: its capacity when the client
is not the limit. --in-process shares this process (and its GIL) with the clients instead.
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

import requests

PAGE = "/v2/attendance-periods?limit=100"


def _token(base: str, client_id: str, client_secret: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    response = requests.post(base + "/v2/auth/token", data=form, timeout=10)
    response.raise_for_status()
    return response.json()["access_token"]


def _walk(base: str, token: str, pages: int, counts: list, index: int) -> None:
    """Follow next links for `pages` pages, starting over at the end of the list."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    url = base + PAGE
    for _ in range(pages):
        response = session.get(url, timeout=10)
        response.raise_for_status()
        body = response.json()
        assert len(body["_data"]) == 100
        counts[index] += 1
        url = body["_meta"]["links"].get("next", {}).get("href") or base + PAGE


def _cpu_seconds(pid) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def measure(base: str, token: str, threads: int, pages: int, server_pid) -> str:
    counts = [0] * threads
    workers = [threading.Thread(target=_walk, args=(base, token, pages // threads, counts, i)) for i in range(threads)]
    cpu = _cpu_seconds(server_pid) if server_pid else 0.0
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    line = f"{sum(counts) / elapsed:8.0f} pages/s"
    if server_pid:
        used = _cpu_seconds(server_pid) - cpu
        if used > 0:
            line += f"   (server CPU {1000 * used / sum(counts):.2f} ms/page = {sum(counts) / used:.0f} pages per server CPU second)"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--in-process", action="store_true")
    options = parser.parse_args()
    records = options.pages * 100
    sizes = {"persons": 100, "absence_periods": 100, "attendance_periods": records}

    child = emu = None
    if options.in_process:
        from .emulator import Emulator
        from .settings import EmulatorSettings
        emu = Emulator(EmulatorSettings(**sizes)).start()
        base, client_id, client_secret, pid = emu.url, emu.client_id, emu.client_secret, None
    else:
        args = [f"--{name.replace('_', '-')}={value}" for name, value in sizes.items()]
        child = subprocess.Popen([sys.executable, "-m", "tools.personio_emulator", "--port", "0", *args],
                                 stdout=subprocess.PIPE, text=True)
        lines = [child.stdout.readline() for _ in range(4)]
        base = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)
        client_id = lines[2].split(":", 1)[1].strip()
        client_secret = lines[3].split(":", 1)[1].split()[0]
        pid = child.pid
    try:
        token = _token(base, client_id, client_secret)
        where = "this process" if emu else "a separate process"
        print(f"emulator in {where}; {options.pages} pages of 100 attendance periods; no latency; {os.cpu_count()} CPUs")
        print(f"  1 session, first walk (records rendered on demand): {measure(base, token, 1, options.pages, pid)}")
        print(f"  1 session, second walk (cached bytes):              {measure(base, token, 1, options.pages, pid)}")
        print(f"  4 threads, cached bytes:                            {measure(base, token, 4, options.pages, pid)}")
    finally:
        if emu is not None:
            emu.stop()
        if child is not None:
            child.terminate()
            child.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
