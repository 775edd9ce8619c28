#!/usr/bin/env python3
"""bench/run's report: samples (TSV: round, contender, metric, value) + machine facts (JSON) -> one JSON file with every
sample and the medians, and a markdown table (design.md §9 rows, then the peers). Exit code 0; FAILs are in the table.

  report.py SAMPLES.tsv FACTS.json OUT.json OUT.md
"""
import json
import math
import statistics
import sys

samples_path, facts_path, out_json, out_md = sys.argv[1:5]
facts = json.load(open(facts_path))
samples = []
for line in open(samples_path):
    r, contender, metric, value = line.rstrip("\n").split("\t")
    samples.append({"round": int(r), "contender": contender, "metric": metric, "value": float(value)})

by = {}
for s in samples:
    by.setdefault((s["contender"], s["metric"]), []).append(s["value"])
med = {f"{c}.{m}": statistics.median(v) for (c, m), v in sorted(by.items())}


def g(key):
    return med.get(key)


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        s = f"{v:.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return f"{s} {unit}".strip()


rows = []  # (row, what, numerator, denominator, ratio, target, verdict)


def ratio_row(row, what, num, num_unit, den, den_label, target_ratio, higher_is_better=True, offset=0.0):
    """PASS when num >= target_ratio * den (or num <= target_ratio * den + offset when lower is better)."""
    if num is None or den is None or den == 0:
        rows.append((row, what, fmt(num, num_unit), f"{den_label} {fmt(den, num_unit)}", "n/a",
                     target_text(target_ratio, higher_is_better, offset, den_label), "not measured"))
        return
    ratio = num / den
    ok = num >= target_ratio * den if higher_is_better else num <= target_ratio * den + offset
    rows.append((row, what, fmt(num, num_unit), f"{den_label} {fmt(den, num_unit)}", f"{ratio:.2f}",
                 target_text(target_ratio, higher_is_better, offset, den_label), "PASS" if ok else "FAIL"))


def target_text(t, higher, offset, den_label):
    if higher:
        return f">= {t} x {den_label}"
    return f"<= {t} x {den_label}" + (f" + {offset:g}" if offset else "")


def limit_row(row, what, num, unit, limit, den_text="", den=None):
    if num is None:
        rows.append((row, what, "n/a", den_text, "", f"<= {limit:g} {unit}", "not measured"))
        return
    ratio = f"{num / den:.2f}" if den else ""
    rows.append((row, what, fmt(num, unit), den_text, ratio, f"<= {limit:g} {unit}", "PASS" if num <= limit else "FAIL"))


def info_row(row, what, num, unit, den_text="", target=""):
    rows.append((row, what, fmt(num, unit), den_text, "", target, "info"))


raw = g("raw.get16_mbps")
ours = lambda m: g(f"ours.{m}")  # noqa: E731
ratio_row("1", "cold dd bs=1M, empty cache", ours("cold_dd_mbps"), "MB/s", raw, "RAW", 0.9)
ratio_row("1", "cold dd bs=1M vs s3fs default", ours("cold_dd_mbps"), "MB/s", g("s3fs.cold_dd_mbps"), "s3fs", 1.1)
limit_row("2", "daemon CPU per GiB, cold dd (utime+stime, incl. background work after dd)",
          ours("cold_dd_cpu_s_per_gib"), "s", 0.8, f"s3fs {fmt(g('s3fs.cold_dd_cpu_s_per_gib'), 's')}")
ratio_row("3", "cold mmap page-touch, offset order", ours("cold_mmap_mbps"), "MB/s", ours("cold_dd_mbps"), "row 1", 0.9)
for peer in ("s3fs", "rclone-off"):
    if g(f"{peer}.cold_mmap_mbps") is not None:
        ratio_row("3", f"cold mmap page-touch vs {peer}", ours("cold_mmap_mbps"), "MB/s", g(f"{peer}.cold_mmap_mbps"), peer, 1.3)
ratio_row("4", "16 fds x 1/16 each, 2 MiB reads, cold", ours("par16_mbps"), "MB/s", raw, "RAW", 0.9)
ratio_row("4", "4 processes mmapping one shard, cold", ours("mmap4_mbps"), "MB/s", raw, "RAW", 0.9)
size = facts["shard_bytes"]
for m, what in (("cold_dd", "cold dd"), ("par16", "16 fds"), ("mmap4", "4 mmap processes")):
    b = ours(f"{m}_get_bytes")
    if b is not None:
        limit_row("4", f"store bytes fetched / shard size, {what} (GETs: {ours(m + '_gets'):.0f})", b / size, "x", 1.0)
disk = g("ours.disk_mbps")
ratio_row("5", "warm dd (all blocks on disk, page cache dropped)", ours("warm_dd_mbps"), "MB/s", disk, "DISK", 0.9)
ratio_row("5", "warm mmap page-touch", ours("warm_mmap_mbps"), "MB/s", disk, "DISK", 0.9)
ratio_row("5", "dd after a daemon restart (same cache dir)", ours("restart_dd_mbps"), "MB/s", disk, "DISK", 0.9)
for m, what in (("warm_dd", "warm dd"), ("warm_mmap", "warm mmap")):
    limit_row("5", f"READs reaching the daemon during the {what} (user.hcpmodelfs.reads)", ours(f"{m}_reads"), "", 0)
info_row("5", "daemon CPU per GiB during warm dd", ours("warm_dd_cpu_during_s_per_gib"), "s", target="~0")
info_row("6", "re-read in the same mount (page cache)", ours("reopen_mbps"), "MB/s")
limit_row("6", "READs reaching the daemon during the re-read (user.hcpmodelfs.reads)", ours("reopen_reads"), "", 0)
if ours("reopen_damon_mib") is not None:
    info_row("6", "memory the host's DAMON paged out between the cold read and the end of the re-read",
             ours("reopen_damon_mib"), "MiB")
if ours("restart_gets") is not None:
    limit_row("7", "data GETs of the shard while re-reading after the restart", ours("restart_gets"), "", 0)
limit_row("8", "peak RSS of the daemon (VmHWM), 1 cold reader", ours("rss1_mib"), "MiB", 256)
limit_row("8", "peak RSS of the daemon (VmHWM), 4 cold readers (the 4 mmap processes)", ours("rss4_mib"), "MiB", 256)
ratio_row("9", "time to first byte, fresh mount (`head -c 1`, lookup + manifest included)", ours("ttfb_ms"), "ms",
          g("raw.ttfb_ms"), "1-byte GET", 1.5, higher_is_better=False, offset=5)
ratio_row("12", f"stat of every entry of the {facts.get('model_entries', '?')}-entry model dir, warm",
          ours("stat_ns"), "ns", ours("local_stat_ns"), "local", 1.5, higher_is_better=False)
n_models = facts.get("listing_models", "?")
for kind, limit in (("cold", 2.0), ("warm", 0.2)):
    best = None
    for peer in ("rclone-off", "s3fs"):
        if g(f"{peer}.listing_{kind}_s") is not None:
            best = peer
            break
    den = g(f"{best}.listing_{kind}_s") if best else None
    limit_row("L", f"`find -type f` over {n_models} plain models x 2 objects, {kind}"
              f"{' (fresh mount, caches dropped)' if kind == 'cold' else ' (second pass, same mount)'}",
              ours(f"listing_{kind}_s"), "s", limit,
              f"{facts['peer_labels'].get(best, best)} {fmt(den, 's')}" if best else "", den)
    for peer in ("s3fs", "rclone-off"):
        if g(f"{peer}.listing_{kind}_s") is not None:
            info_row("L", f"`find -type f`, {kind}: {facts['peer_labels'].get(peer, peer)}", g(f"{peer}.listing_{kind}_s"), "s")
    if ours(f"listing_{kind}_requests") is not None:
        info_row("L", f"store requests of our {kind} pass (RGW access log: GET incl. LIST, HEAD)",
                 ours(f"listing_{kind}_requests"), "", target=f"~ceil(keys/1000) = {math.ceil(2 * n_models / 1000)}" if kind == "cold" and isinstance(n_models, int) else "0")
if facts.get("listing_only"):
    rows = [r for r in rows if r[0] == "L"]

lines = [f"bench/run {facts['started_utc']}: shard {facts['shard_bytes'] >> 20} MiB, {facts['rounds']} round(s), medians"
         f"{' (SMOKE: tiny sizes, not a measurement)' if facts.get('smoke') else ''}", "",
         "| row | what | numerator | denominator | ratio | target | result |", "| --- | --- | ---: | ---: | ---: | --- | --- |"]
lines += ["| " + " | ".join(r) + " |" for r in rows]
lines += ["", f"RAW (ranged GET 8 MiB, 16 in flight, store -> memory) {fmt(raw, 'MB/s')}; DISK (dd of the cache file) "
          f"{fmt(disk, 'MB/s')}; 1-byte GET {fmt(g('raw.ttfb_ms'), 'ms')}; cross-check: 16 curl processes x 8 MiB ranged "
          f"GETs to /dev/null {fmt(g('raw.curl16_mbps'), 'MB/s')}", "",
          "| contender | cold dd MB/s | x RAW | CPU s/GiB (dd) | cold mmap MB/s | x RAW | CPU s/GiB (mmap) |",
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
for c in [] if facts.get("listing_only") else ["ours"] + facts["peers"]:
    dd, mm = g(f"{c}.cold_dd_mbps"), g(f"{c}.cold_mmap_mbps")
    x = lambda v: f"{v / raw:.2f}" if v is not None and raw else "n/a"  # noqa: E731
    lines.append(f"| {facts['peer_labels'].get(c, c)} | {fmt(dd)} | {x(dd)} | {fmt(g(c + '.cold_dd_cpu_s_per_gib'))} | "
                 f"{fmt(mm)} | {x(mm)} | {fmt(g(c + '.cold_mmap_cpu_s_per_gib'))} |")
lines += ["", "Machine: " + "; ".join(f"{k} {facts[k]}" for k in
                                      ("kernel", "cpu_model", "cores", "memory_gib", "fuse_flags", "passthrough",
                                       "damon_pageout", "s3fs_version", "rclone_version", "daemon_bin") if k in facts),
          "read_ahead_kb: " + ", ".join(f"{k} {v}" for k, v in facts.get("read_ahead_kb", {}).items()),
          f"bytes: {facts.get('sha_check', 'n/a')}"]
md = "\n".join(lines) + "\n"
verdicts = [r[6] for r in rows]
result = {"facts": facts, "medians": med, "samples": samples,
          "table": [dict(zip(("row", "what", "numerator", "denominator", "ratio", "target", "result"), r)) for r in rows],
          "pass": verdicts.count("PASS"), "fail": verdicts.count("FAIL")}
json.dump(result, open(out_json, "w"), indent=1)
open(out_md, "w").write(md)
print(md, end="")
