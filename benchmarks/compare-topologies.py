#!/usr/bin/env python3
"""Compare the `stampede run` results of one `MINISHOP_BENCH_TOPOLOGY=split ./minishop bench`.

usage: compare-topologies.py LABEL=RESULT.json LABEL=RESULT.json [...] > table.md

The runs were made one after the other on the same box with the same settings, e.g.
all-in-one straight to the process, all-in-one through nginx, split through nginx (2
gateways, 2 seckill, 2 order, 1 inventory process). Prints a Markdown table: each
scenario's rate in every run over that run's own ceiling, each run ÷ the one before it and
the last ÷ the first; then what each step costs per purchase: the box's CPU time per served
purchase in the in-stock closed loop (cores ÷ served rate: a closed loop of thousands of
connections keeps every core busy) and the open loops' latency. Exits 1 if any run's
invariants failed.
"""
import json
import os
import sys


def served_rate(phase):
    """The rate of 202s, as stampede's ServedRate: what the in-stock loop sold (503s shed
    work rather than do it)."""
    answers = sum(phase["status"].values())
    return phase["rate"] * phase["status"].get("202", 0) / answers if answers else 0.0


def ms(us):
    return f"{us / 1000:.2f} ms" if us < 10_000 else f"{us / 1000:,.0f} ms"


def load(arg):
    label, _, path = arg.partition("=")
    if not path:
        sys.exit(f"compare-topologies: '{arg}' is not LABEL=FILE")
    with open(path, encoding="utf-8") as f:
        run = json.load(f)
    run["label"], run["file"] = label, os.path.basename(path)
    run["by_name"] = {p["name"]: p for p in run["phases"]}
    return run


def ratio_headers(runs):
    pairs = [(runs[i], runs[i - 1]) for i in range(1, len(runs))]
    if len(runs) > 2:
        pairs.append((runs[-1], runs[0]))
    return pairs


def table(runs):
    pairs = ratio_headers(runs)
    head = ["scenario"] + [f"{r['label']}: req/s (× ceiling), p99" for r in runs]
    head += [f"{a['label']} ÷ {b['label']}" for a, b in pairs]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for name in runs[0]["by_name"]:
        if not all(name in r["by_name"] for r in runs) or runs[0]["by_name"][name]["rate"] <= 0:
            continue
        cells = [name]
        for r in runs:
            p = r["by_name"][name]
            cells.append(f"{p['rate']:,.0f} ({p['rate'] / r['ceiling_rate']:.2f}), "
                         f"{ms(p['latency_us']['p99'])}")
        for a, b in pairs:
            cells.append(f"**{a['by_name'][name]['rate'] / b['by_name'][name]['rate']:.2f}**")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def costs(runs):
    cores = os.cpu_count() or 1
    out = []
    if all("instock" in r["by_name"] for r in runs):
        per = [(r, served_rate(r["by_name"]["instock"])) for r in runs]
        if all(rate > 0 for _, rate in per):
            parts = [f"{r['label']} {cores / rate * 1e6:.0f} µs ({rate:,.0f}/s)" for r, rate in per]
            out.append(f"Box CPU per purchase, in-stock closed loop ({cores} cores ÷ served rate): "
                       + ", ".join(parts) + ".")
            steps = [f"{a['label']} vs {b['label']} **{cores / ra * 1e6 - cores / rb * 1e6:+.0f} µs**"
                     for (a, ra), (b, rb) in zip(per[1:], per[:-1])]
            out.append("Per purchase: " + ", ".join(steps) + ".")
    for name in ("soldout open", "instock open"):
        if all(name in r["by_name"] for r in runs):
            parts = [f"{r['label']} {ms(r['by_name'][name]['latency_us']['p50'])} / "
                     f"{ms(r['by_name'][name]['latency_us']['p99'])} at "
                     f"{r['by_name'][name]['rate']:,.0f} req/s" for r in runs]
            out.append(f"{name.capitalize()} loop p50 / p99: " + ", ".join(parts) + ".")
    key = "last_order_after_sellout_ms"
    if all(key in r["by_name"].get("purchase", {}) for r in runs):
        parts = [f"{r['label']} {r['by_name']['purchase'][key]:,} ms" for r in runs]
        out.append("Last stampede order in PostgreSQL after the last unit sold: "
                   + ", ".join(parts) + ".")
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = [load(a) for a in argv[1:]]
    out = ["## Topologies compared, one bench run", ""]
    out += [f"- {r['label']}: `{r['file']}`, {r['url']}, ceiling {r['ceiling_rate']:,.0f} req/s"
            for r in runs]
    out += [""] + table(runs) + [""] + costs(runs)
    failed = [r["label"] for r in runs if not r.get("invariants_ok")]
    out.append("Invariants: " + (f"FAILED in {', '.join(failed)}." if failed else "hold in every run."))
    print("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
