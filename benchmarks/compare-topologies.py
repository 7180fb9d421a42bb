#!/usr/bin/env python3
"""Compare two `stampede run` results of one `MINISHOP_BENCH_TOPOLOGY=split ./minishop bench`.

usage: compare-topologies.py ALL_IN_ONE.json SPLIT.json > table.md

The first run went straight to the all-in-one process, the second through nginx to the
split topology (2 gateways, 2 seckill, 2 order, 1 inventory process), with the same
settings, one after the other on the same box. Prints a Markdown table: each scenario's
rate in both runs, each over its own run's ceiling, and split ÷ all-in-one; then what the
extra hops cost per purchase: the box's CPU time per served purchase in the in-stock
closed loop (cores ÷ served rate: the closed loop keeps every core busy) and the open
loops' median latency. Exits 1 if either run's invariants failed.
"""
import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def phases(run):
    return {p["name"]: p for p in run["phases"]}


def served_rate(phase):
    """The rate of 202s, as stampede's ServedRate: what the in-stock loop sold (503s shed
    work rather than do it)."""
    answers = sum(phase["status"].values())
    return phase["rate"] * phase["status"].get("202", 0) / answers if answers else 0.0


def ms(us):
    return f"{us / 1000:.2f} ms" if us < 10_000 else f"{us / 1000:,.0f} ms"


def row(name, a, b, a_ceiling, b_ceiling):
    ra, rb = a["rate"], b["rate"]
    la, lb = a["latency_us"], b["latency_us"]
    return (
        f"| {name} | {ra:,.0f} | {ra / a_ceiling:.2f} | {rb:,.0f} | {rb / b_ceiling:.2f} | "
        f"**{rb / ra:.2f}** | {ms(la['p50'])} / {ms(lb['p50'])} | {ms(la['p99'])} / {ms(lb['p99'])} |"
    )


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    a_run, b_run = load(argv[1]), load(argv[2])
    a, b = phases(a_run), phases(b_run)
    a_ceiling, b_ceiling = a_run["ceiling_rate"], b_run["ceiling_rate"]
    cores = os.cpu_count() or 1
    out = [
        "## Split ÷ all-in-one, one run",
        "",
        f"- all-in-one, straight to the process: `{os.path.basename(argv[1])}` "
        f"(ceiling {a_ceiling:,.0f} req/s)",
        f"- split, through nginx over 2 gateways: `{os.path.basename(argv[2])}` "
        f"(ceiling {b_ceiling:,.0f} req/s)",
        "",
        "| scenario | all-in-one req/s | × its ceiling | split req/s | × its ceiling | split ÷ all-in-one "
        "| p50 all-in-one / split | p99 all-in-one / split |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for name in a:
        if name in b and a[name]["rate"] > 0:
            out.append(row(name, a[name], b[name], a_ceiling, b_ceiling))
    out.append("")
    if "instock" in a and "instock" in b:
        sa, sb = served_rate(a["instock"]), served_rate(b["instock"])
        if sa > 0 and sb > 0:
            ca, cb = cores / sa * 1e6, cores / sb * 1e6
            out.append(
                f"Box CPU per purchase, in-stock closed loop ({cores} cores ÷ served rate): "
                f"all-in-one {ca:.0f} µs ({sa:,.0f} purchases/s), split {cb:.0f} µs "
                f"({sb:,.0f}/s): the extra hops cost **{cb - ca:+.0f} µs** per purchase."
            )
    for name in ("soldout open", "instock open"):
        if name in a and name in b:
            out.append(
                f"{name.capitalize()} loop p50 / p99: all-in-one {ms(a[name]['latency_us']['p50'])} / "
                f"{ms(a[name]['latency_us']['p99'])} at {a[name]['rate']:,.0f} req/s, split "
                f"{ms(b[name]['latency_us']['p50'])} / {ms(b[name]['latency_us']['p99'])} at "
                f"{b[name]['rate']:,.0f} req/s."
            )
    if "purchase" in a and "purchase" in b:
        key = "last_order_after_sellout_ms"
        if key in a["purchase"] and key in b["purchase"]:
            out.append(
                f"Last stampede order in PostgreSQL after the last unit sold: all-in-one "
                f"{a['purchase'][key]:,} ms, split {b['purchase'][key]:,} ms."
            )
    ok = a_run.get("invariants_ok") and b_run.get("invariants_ok")
    out.append(
        "Invariants: " + ("hold in both runs." if ok else
                          f"FAILED (all-in-one: {a_run.get('invariants_ok')}, split: {b_run.get('invariants_ok')}).")
    )
    print("\n".join(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
