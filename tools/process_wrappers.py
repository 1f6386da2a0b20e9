"""Small programs the sync runner puts around a connector process when asked: one that measures its CPU time
and peak memory, one that shortens its long sleeps. Both are written as text, so the child needs nothing from
this repository on its path."""

# Starts a program, waits, and leaves its CPU time and peak resident size in a file. A launcher of its own,
# because the runner's process may be large: a child forked from it would carry its resident size into the
# child's own peak, and getrusage(RUSAGE_CHILDREN) here counts only the program.
MEASURING_LAUNCHER = """\
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "user": usage.ru_utime, "sys": usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, out)
"""

# A sitecustomize for a connector whose backoffs should take less time: sleeps of 1 s or more (the CDK's
# backoffs) last PERSONIO_SLEEP_SCALE times less; at exit the time skipped by the thread that skipped most goes
# to PERSONIO_SLEEP_LOG. What the connector decides is unchanged, only its waiting shrinks.
COMPRESSED_SLEEP = '''\
import atexit, os, threading, time
_scale = float(os.environ.get("PERSONIO_SLEEP_SCALE") or 1)
_log = os.environ.get("PERSONIO_SLEEP_LOG")
_sleep = time.sleep
_skipped = {}
def _compressed(seconds):
    if seconds >= 1:
        short = seconds / _scale
        ident = threading.get_ident()
        _skipped[ident] = _skipped.get(ident, 0.0) + seconds - short
        seconds = short
    _sleep(seconds)
def _write():
    if _log:
        with open(_log, "w") as handle:
            handle.write(str(max(_skipped.values(), default=0.0)))
time.sleep = _compressed
atexit.register(_write)
'''
