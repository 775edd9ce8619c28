#!/usr/bin/env python3
"""bench/ingest's report: samples (TSV: run, metric, value; run 0 = once per script) + facts (JSON, with IngestBench's
raw.json under "raw") -> one JSON file with every sample and the table, and a markdown table in bench/run's columns
(row, what, numerator, denominator, ratio, target, result) plus each run's values. Printed too. Exit code 0; FAILs are
in the table.

Throughput and CPU rows take the median of the runs; bounds that must hold every time (Hub bytes, RSS, first byte,
bytes right) take the worst run.

  report.py SAMPLES.tsv FACTS.json OUT.json OUT.md
"""
import json
import statistics
import sys

samples_path, facts_path, out_json, out_md = sys.argv[1:5]
facts = json.load(open(facts_path))
raw = facts["raw"]
samples = []
for line in open(samples_path):
    r, metric, value = line.rstrip("\n").split("\t")
    samples.append({"run": int(r), "metric": metric, "value": float(value)})
by = {}
for s in samples:
    by.setdefault(s["metric"], []).append(s["value"])

MODEL = facts["model_bytes"]
GIB = MODEL / 2**30
HUB_TOLERANCE = 1.01  # target 1.00 x; 1 % admits one re-fetched 8 MiB block of a 1 GiB shard, not two
RSS_LIMIT_MIB = 512
BLOCK = 8 << 20  # HCPMODELFS_BLOCK_SIZE's default: a follower reads each file's first block from the Hub


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


def vals(metric, scale=1.0):
    return [v * scale for v in by.get(metric, [])]


def med(metric, scale=1.0):
    v = vals(metric, scale)
    return statistics.median(v) if v else None


def worst(metric, scale=1.0, low=False):
    v = vals(metric, scale)
    return (min(v) if low else max(v)) if v else None


def runs_text(metric, scale=1.0, unit="", f=None):
    return " / ".join((f or fmt)(v) for v in vals(metric, scale)) + (f" {unit}" if unit and by.get(metric) else "")


def fmt_x(v):
    return "n/a" if v is None else f"{v:.3f}"


def fmt_int(v):
    return "n/a" if v is None else f"{v:.0f}"


rows = []  # (row, what, numerator, denominator, ratio, target, result, runs)


def add(row, what, num, unit, den_text, ratio, target, ok, runs="", f=None):
    result = "not measured" if num is None else ("info" if ok is None else ("PASS" if ok else "FAIL"))
    shown = num if isinstance(num, str) else (f(num) + (f" {unit}" if unit else "") if f and num is not None else fmt(num, unit))
    rows.append((row, what, shown, den_text,
                 "" if ratio is None else f"{ratio:.2f}", target, result, runs))


def hub_row(row, what, metric, limit, limit_text):
    w = worst(metric, 1 / MODEL)
    add(row, f"{what} (worst run)", w, "x", f"model {MODEL} B", None, limit_text, None if w is None else w <= limit,
        runs_text(metric, 1 / MODEL, f=fmt_x), f=fmt_x)


def bytes_right_row(row, what, metric, per_run):
    w = worst(metric, low=True)
    add(row, f"{what} (worst run)", None if w is None else f"{w:.0f} of {per_run}", "", "", None, f"= {per_run}",
        None if w is None else w == per_run, runs_text(metric, f=fmt_int))


den = min(raw["raw_hub_mb_s"], raw["raw_store_mb_s"])
add("RAW_HUB", "ranged GET 8 MiB x 8, fake Hub CDN -> memory", raw["raw_hub_mb_s"], "MB/s", "", None, "", None,
    " / ".join(fmt(v) for v in raw["results"][0]["runs_mb_s"]))
add("RAW_STORE", "multipart 8 MiB parts x 8, memory -> RGW", raw["raw_store_mb_s"], "MB/s", "", None, "", None,
    " / ".join(fmt(v) for v in raw["results"][1]["runs_mb_s"]))
add("(info)", "pipe: Hub range -> store part, 8 MiB x 8, no cache, no hash", raw["pipe_mb_s"], "MB/s",
    f"min(RAW) {fmt(den, 'MB/s')}", raw["pipe_mb_s"] / den, "", None,
    " / ".join(fmt(v) for v in raw["results"][2]["runs_mb_s"]))

p = med("prefetch_mb_s")
add("11", "`hcpmodelfs prefetch` throughput (wall, process start included)", p, "MB/s", f"min(RAW) {fmt(den, 'MB/s')}",
    None if p is None else p / den, ">= 0.8 x min(RAW)", None if p is None else p >= 0.8 * den,
    runs_text("prefetch_mb_s"))
hub_row("11", "Hub bytes / model, prefetch", "prefetch_hub_bytes", HUB_TOLERANCE, f"1.00 x (PASS <= {HUB_TOLERANCE})")
add("11", "prefetch process CPU per GiB (utime + stime, /usr/bin/time)", med("prefetch_cpu_s", 1 / GIB), "s", "", None,
    "report (bench/run row 2: read path <= 0.8 s)", None, runs_text("prefetch_cpu_s", 1 / GIB))
w = worst("prefetch_rss_kib", 1 / 1024)
add("11", "prefetch process peak RSS (/usr/bin/time %M, worst run)", w, "MiB", "", None, f"<= {RSS_LIMIT_MIB} MiB",
    None if w is None else w <= RSS_LIMIT_MIB, runs_text("prefetch_rss_kib", 1 / 1024))
# The machine's CPU per GiB during each: on a 2-core machine shared by RGW, the fake Hub and the daemon, this is what
# bounds the throughputs. The prefetch pays the Hub's serving too, which RAW_STORE does not (docs/INGEST.md).
mc = med("prefetch_machine_cpu_s", 1 / GIB)
add("(info)", "machine CPU-s per GiB (every core, /proc/stat): RAW_STORE / PIPE / prefetch",
    None if mc is None else f"{raw.get('raw_store_machine_cpu_s_per_gib', 0):.1f} / {raw.get('pipe_machine_cpu_s_per_gib', 0):.1f} / {mc:.1f} s",
    "", "", None, "", None, runs_text("prefetch_machine_cpu_s", 1 / GIB))
if by.get("prefetch_l_mb_s"):
    link = facts.get("hub_link_mbit")
    hub_l = med("rawhub_l_mb_s")
    den_l = min(hub_l, raw["raw_store_mb_s"])
    add("RAW_HUB_L", f"RAW_HUB with the Hub link capped at {link} Mbit/s (tc on the CDN address), each run before row 11L",
        hub_l, "MB/s", "", None, "", None, runs_text("rawhub_l_mb_s"))
    pl = med("prefetch_l_mb_s")
    add("11L", f"`hcpmodelfs prefetch` throughput, Hub link capped at {link} Mbit/s (wall, process start included)", pl,
        "MB/s", f"min(RAW_HUB_L, RAW_STORE) {fmt(den_l, 'MB/s')}", pl / den_l, ">= 0.8 x min(RAW)", pl >= 0.8 * den_l,
        runs_text("prefetch_l_mb_s"))
    hub_row("11L", "Hub bytes / model, prefetch with the link capped", "prefetch_l_hub_bytes", HUB_TOLERANCE,
            f"1.00 x (PASS <= {HUB_TOLERANCE})")
    add("11L", "prefetch process CPU per GiB, link capped", med("prefetch_l_cpu_s", 1 / GIB), "s", "", None, "report",
        None, runs_text("prefetch_l_cpu_s", 1 / GIB))
# HCPMODELFS_BIN_B: the same rows with the second binary, interleaved in the same run (an A/B of two builds).
for a, row, den_b in (("prefetch", "11 B", den), ("prefetch_l", "11L B", None)):
    metric = a + "b"  # run.sh names B's samples after A's with a "b"
    pb = med(metric + "_mb_s")
    if pb is None:
        continue
    if den_b is None:
        den_b = min(med("rawhub_l_mb_s"), raw["raw_store_mb_s"])
    pa = med(a + "_mb_s")
    add(row, f"the same with HCPMODELFS_BIN_B ({facts.get('daemon_bin_b')}), interleaved", pb, "MB/s",
        f"min(RAW) {fmt(den_b, 'MB/s')}", pb / den_b, ">= 0.8 x min(RAW)", pb >= 0.8 * den_b, runs_text(metric + "_mb_s"))
    add(row, "B / A throughput; B's process CPU per GiB", None if pa is None else f"{pb / pa:.3f} x; {fmt(med(metric + '_cpu_s', 1 / GIB), 's')}",
        "", f"A {fmt(pa, 'MB/s')}, {fmt(med(a + '_cpu_s', 1 / GIB), 's')}", None, "", None, runs_text(metric + "_cpu_s", 1 / GIB))
    hub_row(row, "Hub bytes / model, B", metric + "_hub_bytes", HUB_TOLERANCE, f"1.00 x (PASS <= {HUB_TOLERANCE})")
add("(info)", "prefetch of a model already stored (fixed cost): wall", med("prefetch_stored_s"), "s", "", None, "", None)
add("(info)", "prefetch of a model already stored (fixed cost): CPU (in the row-11 CPU too)", med("prefetch_stored_cpu_s"),
    "s", "", None, "", None)

w = worst("first_s")
add("10", "first 4 KiB of a missing model, fresh mount, lookup included (worst run)", w, "s", "", None, "<= 2 s",
    None if w is None else w <= 2, runs_text("first_s", unit="s"))
w = worst("first_manifest_already")
add("10", "manifest already in the store at that moment (any run)", None if w is None else ("yes" if w else "no"), "",
    "", None, "no", None if w is None else w == 0)
add("(info)", "Hub bytes fetched by the first byte", med("first_hub_bytes"), "B", f"model {MODEL} B", None, "<< model",
    None, runs_text("first_hub_bytes", f=fmt_int), f=fmt_int)
add("(info)", "first byte -> manifest in the store (the ingest the open started)", med("first_commit_s"), "s", "", None,
    "", None, runs_text("first_commit_s"))
add("(info)", "Hub bytes per mount of row 10 (ingest + the reader; run 1 also sha256s the shard) / model",
    med("first_mount_hub_bytes", 1 / MODEL), "x", "", None, "", None, runs_text("first_mount_hub_bytes", 1 / MODEL, f=fmt_x),
    f=fmt_x)

hub_row("11m", "Hub bytes / model, mount-driven ingest with 4 readers of the whole shard", "readers4_hub_bytes",
        HUB_TOLERANCE, f"1.00 x (PASS <= {HUB_TOLERANCE})")
bytes_right_row("11m", "readers with the right sha256", "readers4_sha_ok", 4)
add("11m", "daemon CPU per GiB (utime + stime, ingest + 4 readers, /proc/PID/stat)", med("readers4_cpu_s", 1 / GIB),
    "s", f"prefetch {fmt(med('prefetch_cpu_s', 1 / GIB), 's')}", None, "report", None, runs_text("readers4_cpu_s", 1 / GIB))
w = worst("readers4_rss_kib", 1 / 1024)
add("11m", "daemon peak RSS (VmHWM before unmount, worst run)", w, "MiB", "", None, f"<= {RSS_LIMIT_MIB} MiB",
    None if w is None else w <= RSS_LIMIT_MIB, runs_text("readers4_rss_kib", 1 / 1024))
c = med("readers4_commit_s")
add("11m", "first open -> manifest in the store", c, "s", "", None, "", None, runs_text("readers4_commit_s"))
mbps = None if not c else MODEL / c / 1e6
add("(info)", "mount-driven ingest throughput (model / time to manifest)", mbps, "MB/s", f"min(RAW) {fmt(den, 'MB/s')}",
    None if mbps is None else mbps / den, "", None)
add("(info)", "4 readers done (from their start)", med("readers4_read_s"), "s", "", None, "", None,
    runs_text("readers4_read_s"))

for n in (2, 4):
    k = f"nodes{n}"
    hub_row("14n", f"N = {n} nodes, one missing model, read at once: Hub bytes / model", f"{k}_hub_bytes", 1.2,
            "<= 1.2 x")
    add("(info)", f"N = {n}: what the followers' first blocks alone cost, (N - 1) x {BLOCK >> 20} MiB / model (docs/INGEST.md)",
        (n - 1) * BLOCK / MODEL, "x", "", None, "", None, f=fmt_x)
    bytes_right_row("14n", f"N = {n}: nodes with every byte right (sha256 of shard + config.json)", f"{k}_sha_ok", n)
    w = worst(f"{k}_first_worst_s")
    add("14n", f"N = {n}: first 4 KiB, worst node (worst run)", w, "s", "", None, "<= 2 s", None if w is None else w <= 2,
        runs_text(f"{k}_first_worst_s", unit="s"))
    add("(info)", f"N = {n}: readers start -> manifest in the store", med(f"{k}_commit_s"), "s", "", None, "", None,
        runs_text(f"{k}_commit_s"))
    add("(info)", f"N = {n}: every node's read done (from their start)", med(f"{k}_read_s"), "s", "", None, "", None,
        runs_text(f"{k}_read_s"))

lines = [f"bench/ingest {facts['started_utc']}: one {facts['shard_mib']} MiB LFS shard + config.json, fake Hub "
         f"(127.0.0.1 / CDN 127.0.0.2) -> Ceph RGW, {facts['runs']} run(s); throughput and CPU: median; bounds: worst "
         "run; MB/s = 10^6 B/s", "",
         "| row | what | numerator | denominator | ratio | target | result | runs |",
         "| --- | --- | ---: | ---: | ---: | --- | --- | --- |"]
lines += ["| " + " | ".join(r) + " |" for r in rows]
lines += ["", "Machine: " + "; ".join(f"{k} {facts[k]}" for k in
                                      ("kernel", "cpu_model", "cores", "memory_gib", "daemon_bin", "git_head")),
          "Daemon settings: " + ", ".join(f"{k}={v}" for k, v in facts["daemon_env"].items()),
          f"Load: start {facts['uptime_start']}; end {facts['uptime_end']}; {facts['seconds']} s in all"]
md = "\n".join(lines) + "\n"
verdicts = [r[6] for r in rows]
json.dump({"facts": facts, "samples": samples,
           "table": [dict(zip(("row", "what", "numerator", "denominator", "ratio", "target", "result", "runs"), r))
                     for r in rows],
           "pass": verdicts.count("PASS"), "fail": verdicts.count("FAIL")}, open(out_json, "w"), indent=1)
open(out_md, "w").write(md)
print(md, end="")
