#!/usr/bin/env bash
# Raw store benchmark (design.md §9 RAW): starts Ceph RGW with a bluestore OSD on a sparse file, uploads a test object
# by multipart PUT, measures ranged GETs of 8 MiB with 1/4/8/16 in flight into memory and curl's single GET of the
# same object, 3 runs each, medians. Writes bench/results/store-<date>.json and prints a markdown table.
# Always stops RGW. Knobs: STORE_BENCH_SIZE_MIB (2048), STORE_BENCH_RUNS (3), STORE_BENCH_BLUESTORE (12G).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIZE_MIB="${STORE_BENCH_SIZE_MIB:-2048}"
RUNS="${STORE_BENCH_RUNS:-3}"
BLUESTORE="${STORE_BENCH_BLUESTORE:-12G}"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/hcpmodelfs-bench-XXXXXX")"
OUT="$ROOT/bench/results/store-$(date -u +%Y%m%d-%H%M%S).json"

cleanup() { "$ROOT/scripts/rgw.sh" stop "$SCRATCH" >/dev/null 2>&1 || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT INT TERM

dotnet build -c Release -nologo -v q "$ROOT/bench/store/StoreBench/StoreBench.csproj" >&2
"$ROOT/scripts/rgw.sh" start "$SCRATCH" --bluestore "$BLUESTORE" --watch-pid $$ >/dev/null
dotnet "$ROOT/bench/store/StoreBench/bin/Release/net10.0/HcpModelFs.Bench.dll" \
  --env "$SCRATCH/rgw.env" --size-mib "$SIZE_MIB" --runs "$RUNS" --out "$OUT"
