"""The fault table as text."""
from typing import Iterable, List, Optional

from tools.fault_suite.judge import Outcome


def _cell(value: Optional[int]) -> str:
    return "-" if value is None else str(value)


def table(outcomes: Iterable[Outcome]) -> List[str]:
    """The fault table as text lines: fault, outcome, records lost, records duplicated, secret seen."""
    header = ("fault", "outcome", "lost", "dup", "secret seen", "time", "verdict")
    rows = []
    for o in outcomes:
        time_text = f"{o.seconds:.0f}s" if not o.compressed else f"{o.seconds:.0f}s (≈{o.real_seconds:.0f}s real)"
        if o.outage_seconds is not None:
            time_text += f"; failed {o.outage_seconds:.0f}s after the first failing answer"
        rows.append((o.name, o.result, _cell(o.lost), _cell(o.duplicated),
                     "yes: " + ", ".join(o.secrets) if o.secrets else "no", time_text,
                     "ok" if o.ok else "PROBLEM"))
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]
