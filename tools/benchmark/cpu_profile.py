"""Where source-personio's CPU goes: one full refresh (the cpu scenario of `tools.benchmark`) under py-spy.

    python -m tools.benchmark.cpu_profile [--quick] [--manifest COPY.yaml] [--rate 100]
    python -m tools.benchmark.cpu_profile --raw out.txt --records 111033     # summarise an existing profile

py-spy samples with --gil, i.e. only the thread holding the GIL: the interpreter's own CPU time, without the
threads that wait on the queue, the network or the rate limiter. Each sample is put in the first category
below whose marker frame it contains, and the table shows each category's share and its cost per record.
py-spy slows the program down a little; use the shares, and `tools.benchmark` for absolute figures.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

# (category, marker frames): the first category with a marker in a sample's stack gets the sample
CATEGORIES: List[Tuple[str, Tuple[str, ...]]] = [
    ("startup: imports", ("_find_and_load",)),
    ("startup: manifest parsing and source construction", ("ConcurrentDeclarativeSource.__init__",
                                                           "ManifestDeclarativeSource.__init__")),
    ("per record: AddFields updated_at_in_utc (Jinja + literal_eval)", ("AddFields.transform",)),
    ("per record: DpathExtractor (dpath walks the whole page)", ("DpathExtractor.extract_records",)),
    ("per record: cursor observe, slice hashing (json.dumps + sha256, twice)", ("SliceHasher.hash",)),
    ("per record: cursor observe, updated_at strptime", ("ConcurrentCursor.observe",)),
    ("per record: Record objects and the worker -> main queue", ("Queue.put", "Record.__init__")),
    ("per page: error handler predicates (a stdlib json parse + Jinja each)", ("DefaultErrorHandler.interpret_response",)),
    ("per page: api_budget limiter", ("acquire_call",)),
    ("per page: paginator templates (Jinja, regex)", ("next_page_token",)),
    ("per page: request options templates (Jinja)", ("_get_request_options", "_request_params")),
    ("per page: JSON decode of the page (orjson)", ("CompositeRawDecoder.decode", "JsonDecoder.decode")),
    ("per page: HTTP (requests, urllib3, sockets)", ("HttpClient.send_request", "HttpClient._send", "Session.send")),
    ("per record: other retriever plumbing (selector, type transformer)",
     ("RecordSelector", "DeclarativePartition.read", "PartitionReader.process_partition")),
    ("main thread: message handling, serialization, stdout", ("_consume_from_queue", "AirbyteEntrypoint.read",
                                                             "airbyte_message_to_string", "PrintBuffer", "launch")),
]
OTHER = "other"


def _frames(stack: str) -> List[str]:
    return [re.sub(r" \(.*$", "", frame) for frame in stack.split(";")]


def summarise(raw_path: str, rate: float, records: int) -> str:
    counts: Counter = Counter()
    total = 0
    with open(raw_path) as raw:
        for line in raw:
            line = line.rstrip()
            if not line or " " not in line:
                continue
            stack, _, number = line.rpartition(" ")
            n = int(number)
            total += n
            frames = _frames(stack)
            joined = ";".join(frames)
            for name, markers in CATEGORIES:
                if any(marker in joined for marker in markers):
                    counts[name] += n
                    break
            else:
                counts[OTHER] += n
    seconds = total / rate
    lines = [f"{total} GIL samples at {rate:g}/s = {seconds:.1f} s of interpreter CPU for {records} records "
             f"({seconds / max(1, records) * 1e6:.0f} µs per record, startup included)", ""]
    lines.append(f"{'category':<74}{'share':>7}{'µs/record':>11}")
    for name, _ in CATEGORIES + [(OTHER, ())]:
        if counts[name]:
            share = counts[name] / total
            lines.append(f"{name:<74}{share:>7.1%}{share * seconds / max(1, records) * 1e6:>11.1f}")
    return "\n".join(lines)


def profile(args) -> Tuple[str, int]:
    from tools.benchmark.scenarios import FAST_CONFIG, FULL_SIZES, QUICK_SIZES, STREAMS
    from tools.sync_runner import configured_catalog, discovered_catalog, find_command
    from tools.personio_emulator import Emulator, EmulatorSettings

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    workdir = Path(tempfile.mkdtemp(prefix="personio-profile-"))
    raw = args.out or str(workdir / "profile.txt")
    with Emulator(EmulatorSettings(seed=1, prerender=True, **sizes)) as emu:
        config = {k: v for k, v in emu.config(**FAST_CONFIG).items() if k != "start_date"}  # as the cpu scenario
        (workdir / "config.json").write_text(json.dumps(config))
        if args.manifest:
            command = [str(Path(sys.executable).parent / "source-declarative-manifest"), "read", "--manifest-path",
                       args.manifest]
            discovered = discovered_catalog(command[0], command[2:])
        else:
            command, discovered = [find_command(), "read"], discovered_catalog()
        (workdir / "catalog.json").write_text(json.dumps(configured_catalog(discovered, "full_refresh", STREAMS)))
        py_spy = str(Path(sys.executable).parent / "py-spy")
        argv = [py_spy, "record", "--gil", "-f", "raw", "-r", str(args.rate), "-o", raw, "--",
                *command, "--config", str(workdir / "config.json"),
                "--catalog", str(workdir / "catalog.json")]
        # Into a file, not a pipe: under py-spy, with a pipe, some RECORD lines went missing (3-13 % in our
        # runs; the connector logged the full counts), with a file none did.
        output = workdir / "output.jsonl"
        with open(output, "wb") as out:
            process = subprocess.run(argv, stdout=out, stderr=subprocess.DEVNULL)
    records = 0
    errors = []
    with open(output, "rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
            elif line.startswith(b'{"type":"TRACE"') and b'"type":"ERROR"' in line:
                errors.append((json.loads(line)["trace"].get("error") or {}).get("message"))
    for name in ("config.json", "catalog.json", "output.jsonl"):
        (workdir / name).unlink(missing_ok=True)
    if process.returncode or errors:
        print(f"the profiled sync FAILED (exit {process.returncode}): {errors[:3]}", file=sys.stderr)
    return raw, records


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark.cpu_profile", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--manifest", help="profile source-declarative-manifest on this manifest copy instead")
    parser.add_argument("--rate", type=float, default=100, help="samples per second")
    parser.add_argument("--out", help="keep the raw profile here")
    parser.add_argument("--raw", help="summarise this raw py-spy profile instead of recording one")
    parser.add_argument("--records", type=int, default=0, help="records the profiled run emitted (with --raw)")
    args = parser.parse_args(argv)
    if args.raw:
        raw, records = args.raw, args.records
    else:
        raw, records = profile(args)
        print(f"raw profile: {raw}")
    print(summarise(raw, args.rate, records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
