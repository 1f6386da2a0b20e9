"""python -m tools.personio_emulator --port 8080 --seed 1 … : serve the emulator until Ctrl-C."""
import argparse
import signal
import sys

from .emulator import Emulator
from .faults import Fault
from .links import CURSOR_ESCAPES, NEXT_LINKS, SELF_LINKS
from .settings import (ALL_SCOPES, CUSTOM_ATTRIBUTE_VALUES, PERSONS_BURSTS, RECRUITING_TIMESTAMPS, STREAMS,
                       EmulatorSettings, personio_like_rate_limits)


def _rate_limit(text: str):
    try:
        stream, _, figures = text.partition("=")
        rate, _, burst = figures.partition("/")
        if stream not in STREAMS:
            raise ValueError
        return stream, (float(rate), int(burst or float(rate)))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected STREAM=RATE/BURST with STREAM in {', '.join(STREAMS)}: {text!r}")


def _page_cap(text: str):
    stream, _, cap = text.partition("=")
    if stream not in STREAMS or not cap.isdigit() or int(cap) < 1:
        raise argparse.ArgumentTypeError(f"expected STREAM=N with STREAM in {', '.join(STREAMS)} and N >= 1: {text!r}")
    return stream, int(cap)


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.personio_emulator",
                                description="Personio API v2 emulator (test double, 127.0.0.1 only).")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--persons", type=int, default=1000)
    p.add_argument("--absence-periods", type=int, default=10_000)
    p.add_argument("--attendance-periods", type=int, default=100_000)
    p.add_argument("--prerender", action="store_true", help="render all records before serving")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--rate-limit", type=_rate_limit, action="append", default=[], metavar="STREAM=RATE/BURST")
    p.add_argument("--personio-like-rate-limits", action="store_true",
                   help="a bucket per endpoint as Personio's: persons 30/s, burst --persons-burst; others 10/s")
    p.add_argument("--persons-burst", type=int, choices=PERSONS_BURSTS, default=100,
                   help="persons burst with --personio-like-rate-limits: 100 (live check) or 30 (an earlier probe)")
    p.add_argument("--credential-rate-limit", type=int, metavar="PER_MINUTE", help="e.g. 200, across endpoints")
    p.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    p.add_argument("--token-lifetime", type=int, default=86_400, metavar="SECONDS")
    p.add_argument("--scopes", default=",".join(sorted(ALL_SCOPES)), help="comma separated granted scopes ('' = none)")
    p.add_argument("--whitelist", default="all", help="person attributes: all | none | first_name,email,dynamic_305")
    p.add_argument("--relative-next-links", action="store_true", help="self and next links without scheme and host")
    p.add_argument("--self-link", choices=SELF_LINKS, default="echo",
                   help="self echoes the request as sent, or carries the page's cursor alone")
    p.add_argument("--next-link", choices=NEXT_LINKS, default="cursor",
                   help="next carries the cursor alone (Personio), or limit too, after or before it")
    p.add_argument("--page-cap", type=_page_cap, action="append", default=[], metavar="STREAM=N",
                   help="pages of STREAM hold at most N records whatever the limit asked")
    p.add_argument("--link-cursor-escaping", choices=CURSOR_ESCAPES, default="percent",
                   help="the cursor in links as %%2B %%2F %%3D, or raw + / =")
    p.add_argument("--naive-timezone", default="UTC", help="zone of offset-less filter values")
    p.add_argument("--attendance-sort", help="default attendance order, e.g. person.id,start.date_time,end.date_time")
    p.add_argument("--fault", type=_fault, action="append", default=[], metavar="KIND[:STREAM[:AFTER[:COUNT]]]")
    p.add_argument("--fault-hang-seconds", type=float, default=10.0)
    p.add_argument("--client-id", default=EmulatorSettings.client_id)
    p.add_argument("--client-secret", default=EmulatorSettings.client_secret)
    p.add_argument("--auth-error-status", type=int, choices=(400, 401), default=400)
    p.add_argument("--persons-missing-scope-status", type=int, choices=(401, 403), default=403)
    p.add_argument("--unlicensed", default="", metavar="STREAMS",
                   help="comma separated streams whose module is off: 404 (legal_entities: 412)")
    p.add_argument("--recruiting-timestamps", choices=RECRUITING_TIMESTAMPS, default="mixed")
    p.add_argument("--beta-header-required", action="store_true", help="beta lists answer 400 without `Beta: true`")
    p.add_argument("--custom-attribute-values", choices=CUSTOM_ATTRIBUTE_VALUES, default="string")
    p.add_argument("--unseen-nulls", action="store_true", help="null profile_picture and preferred_name")
    p.add_argument("--report-rows", choices=("cells", "objects"), default="cells",
                   help="a report's rows as cell lists in the order of _meta.columns, or as objects")
    p.add_argument("--org-unit-ids-collide", action="store_true", help="some team ids equal department ids")
    p.add_argument("--log-requests", action="store_true")
    return p


def settings_from(args) -> EmulatorSettings:
    whitelist = None
    if args.whitelist == "none":
        whitelist = set()
    elif args.whitelist != "all":
        whitelist = {name.strip() for name in args.whitelist.split(",") if name.strip()}
    return EmulatorSettings(
        seed=args.seed, persons=args.persons, absence_periods=args.absence_periods,
        attendance_periods=args.attendance_periods, port=args.port, prerender=args.prerender,
        latency_seconds=args.latency_ms / 1000.0, log_requests=args.log_requests,
        client_id=args.client_id, client_secret=args.client_secret,
        token_lifetime_seconds=args.token_lifetime, auth_error_status=args.auth_error_status,
        granted_scopes={s.strip() for s in args.scopes.split(",") if s.strip()},
        persons_missing_scope_status=args.persons_missing_scope_status,
        whitelisted_person_attributes=whitelist, naive_filter_timezone=args.naive_timezone,
        relative_next_links=args.relative_next_links, self_link=args.self_link, next_link=args.next_link,
        link_cursor_escaping=args.link_cursor_escaping, page_cap=dict(args.page_cap),
        attendance_default_sort=args.attendance_sort,
        rate_limits={**(personio_like_rate_limits(args.persons_burst) if args.personio_like_rate_limits else {}),
                     **dict(args.rate_limit)},
        beta_header_required=args.beta_header_required,
        custom_attribute_values=args.custom_attribute_values, unseen_nulls=args.unseen_nulls,
        report_rows=args.report_rows,
        unlicensed_modules={s.strip() for s in args.unlicensed.split(",") if s.strip()},
        recruiting_timestamps=args.recruiting_timestamps, org_unit_ids_collide=args.org_unit_ids_collide,
        retry_after_on_429=args.retry_after, credential_rate_limit_per_minute=args.credential_rate_limit,
        faults=list(args.fault), fault_hang_seconds=args.fault_hang_seconds,
    )


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    emu = Emulator(settings_from(args)).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly when a parent terminates us
    print(f"Personio emulator listening on {emu.url}")
    print(f"  token endpoint: {emu.token_url}")
    print(f"  client_id:      {emu.client_id}")
    print(f"  client_secret:  {emu.client_secret}  (fake, emulator-only test secret)")
    print(f"  admin:          {emu.url}/_emulator/stats")
    print("Ctrl-C to stop.", flush=True)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
