"""The terminal table of a benchmark run."""
from __future__ import annotations

from typing import Any


def meets(value: float, goal: tuple[str, float]) -> bool:
    operator, target = goal
    return value >= target if operator == ">=" else value <= target


def table(results: dict[str, Any], goals: dict[str, tuple[str, float]]) -> str:
    f = results["figures"]
    bare = f["bare"]["requests_per_second"]
    lst = f["list"]
    rows = [
        ("read", "GET /api/v1/applications/{id} (staff)", f"{f['read']['requests_per_second']:.0f} req/s",
         f"{bare:.0f} req/s (ORM primary-key lookup)", f["read"]["ratio"]),
        ("list", "staff list, filter+sort+page of 50", f"{lst['staff']['requests_per_second']:.0f} req/s",
         f"{bare:.0f} req/s", lst["staff"]["ratio"]),
        ("list", "public directory search", f"{lst['directory']['requests_per_second']:.0f} req/s",
         f"{bare:.0f} req/s", lst["directory"]["ratio"]),
        ("transition", "accept through the service layer", f"{f['transition']['service_per_second']:.0f} /s",
         f"{f['transition']['raw_sql_per_second']:.0f} /s (raw SQL)", f["transition"]["ratio"]),
        ("certificate", "outbox → RQ → worker → PDF → issued", f"{f['certificate']['per_certificate_ms']:.0f} ms",
         f"{f['certificate']['bare_render_ms']:.0f} ms (warm WeasyPrint)", f["certificate"]["ratio"]),
        ("reevaluation", f"{f['reevaluation']['reports']} yearly reports through jobs",
         f"{f['reevaluation']['job_seconds']:.1f} s", f"{f['reevaluation']['loop_seconds']:.1f} s (loop)",
         f["reevaluation"]["ratio"]),
    ]
    lines = [f"{'figure':<13} {'what':<40} {'GreenCert':>14} {'bare':>34} {'ratio':>7}  goal"]
    for key, what, ours, base, ratio in rows:
        goal = goals[key]
        mark = "ok" if meets(ratio, goal) else "MISSED"
        lines.append(f"{key:<13} {what:<40} {ours:>14} {base:>34} {ratio:>7.3f}  {goal[0]} {goal[1]} {mark}")
    draw, tick, data = f["panel_draw"], f["tick"], results["dataset"]
    lines += [
        "",
        f"panel draw over {draw['pool']} experts: {draw['draw_ms']:.0f} ms (the application page it is drawn from: "
        f"{draw['page_ms']:.0f} ms, ratio {draw['ratio_to_page']}; a JSON list page: {draw['list_page_ms']:.0f} ms)",
        f"tick over {tick['designations']} designations: {tick['today_seconds']:.2f} s today, "
        f"{tick['new_year_seconds']:.2f} s on 1 January (yearly reports open)",
        f"certificate worker memory: peak {f['certificate']['worker_peak_mib']:.0f} MiB, "
        f"{f['certificate']['worker_after_mib']:.0f} MiB after {f['certificate']['certificates']} certificates",
        "evaluations per second: " + ", ".join(f"{k} {v:.0f}" for k, v in f["evaluations_per_second"].items()),
        f"dataset: generated in {data['generation_seconds']:.0f} s, database {data['database_bytes'] / 2**20:.0f} MiB",
    ]
    return "\n".join(lines)
