#!/usr/bin/env bash
# bench/ingest: design.md §9 rows 10 and 11, numerators and denominators in one run.
#   RAW_HUB   = ranged GETs of 8 MiB, 8 in flight, of the model's shard from the fake Hub into memory (HttpModelHub)
#   RAW_STORE = multipart upload of the same size, 8 MiB parts, 8 in flight, from memory into the same RGW
#   row 11    = `hcpmodelfs prefetch bench/big-model` (fresh prefix and cache per run), model bytes / wall seconds;
#               ratio = ingest / min(RAW_HUB, RAW_STORE), target >= 0.8
#   row 10    = fresh `hcpmodelfs mount`, model missing from the store: `dd bs=4k count=1` of the shard (lookup from
#               Hub metadata included), target <= 2 s; the store must not have the manifest at that moment
# The fake Hub (API 127.0.0.1, CDN 127.0.0.2) runs in bench/ingest/IngestBench, which measures the raws first and then
# serves the Hub until this script is done. Ceph RGW with a bluestore OSD on a sparse file. Medians of RUNS.
# Usage (root): bench/ingest/run.sh [SIZE_MIB=1024] [RUNS=3]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIZE_MIB=${1:-1024}
RUNS=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "run as root (mounts)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Only our settings reach the daemon: no HCP_*/S3_*/HF_* from the caller's environment, no ./.env (cwd is SCRATCH).
unset $(compgen -e | grep -E '^(HCP_|HCPMODELFS_|HF_|S3_|MODEL_CACHE_|AWS_)') 2>/dev/null || true
SCRATCH=$(mktemp -d /tmp/hcpfs-ibench-XXXXXX)
MNT=$SCRATCH/mnt; CTL=$SCRATCH/ctl; mkdir -p "$MNT" "$CTL" "$SCRATCH/hf"
DAEMON_PID=""; TOOL_PID=""; PREFETCH_PID=""

alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null; }
stop_pid() { # pid [seconds]: TERM, bounded wait, then KILL
  local pid=$1 secs=${2:-30} i
  alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do alive "$pid" || break; sleep 0.1; done
  alive "$pid" && { echo "pid $pid ignored SIGTERM for ${secs}s: SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$PREFETCH_PID" 30; PREFETCH_PID=""
  stop_pid "$DAEMON_PID" 60; DAEMON_PID=""
  grep -q " $MNT " /proc/self/mountinfo && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
  if [ -n "$TOOL_PID" ]; then
    touch "$CTL/stop"
    for _ in $(seq 100); do alive "$TOOL_PID" || break; sleep 0.1; done
    stop_pid "$TOOL_PID" 10; TOOL_PID=""
  fi
  "$ROOT/scripts/rgw.sh" stop "$SCRATCH/rgw" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_file <seconds> <file> [pid that must stay alive]
wait_file() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    [ -e "$2" ] && return 0
    [ -n "${3:-}" ] && ! alive "$3" && { echo "process $3 died waiting for $2" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out after $1 s waiting for $2" >&2; return 1
}
ns_now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
snap() { # snap <name>: the Hub's request counters now, into $CTL/<name>.json
  touch "$CTL/snap-$1"; wait_file 10 "$CTL/$1.json" "$TOOL_PID"
}
hub_bytes() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cdn_range_bytes'])" "$CTL/$1.json"; }
has_manifest() { # has_manifest <prefix>: HEAD of the revision's manifest (200 yes, 404 no, anything else fails)
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' -I -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" \
    "$S3_ENDPOINT/$S3_BUCKET/${1}bench/big-model/$COMMIT/.hcpmodelfs/manifest.json")
  case "$code" in 200) return 0 ;; 404) return 1 ;; *) echo "HEAD of the manifest: HTTP $code" >&2; exit 1 ;; esac
}

echo "== build (Release)" >&2
dotnet build -c Release -nologo -v q "$ROOT/src/HcpModelFs/HcpModelFs.csproj" >&2
dotnet build -c Release -nologo -v q "$ROOT/bench/ingest/IngestBench/IngestBench.csproj" >&2
HCPFS_DLL="$ROOT/src/HcpModelFs/bin/Release/net10.0/hcpmodelfs.dll"
TOOL_DLL="$ROOT/bench/ingest/IngestBench/bin/Release/net10.0/HcpModelFs.IngestBench.dll"
LOAD_START=$(uptime)

echo "== RGW (bluestore on a sparse file)" >&2
mkdir -p "$SCRATCH/rgw"
"$ROOT/scripts/rgw.sh" start "$SCRATCH/rgw" --bluestore $(( SIZE_MIB * RUNS * 4 / 1024 + 6 ))G --watch-pid $$ >/dev/null
set -a; . "$SCRATCH/rgw/rgw.env"; set +a
export S3_BUCKET=bench HCPMODELFS_LOG_FORMAT=text HCPMODELFS_LOG_LEVEL=Warning HF_HOME=$SCRATCH/hf

echo "== fake Hub + RAW_HUB / RAW_STORE / PIPE (IngestBench)" >&2
RAW_JSON=$SCRATCH/raw.json
( cd "$SCRATCH" && exec dotnet "$TOOL_DLL" --env "$SCRATCH/rgw/rgw.env" --bucket "$S3_BUCKET" --size-mib "$SIZE_MIB" \
    --runs "$RUNS" --out "$RAW_JSON" --ctl-dir "$CTL" --watch-pid $$ --max-seconds 7200 ) >&2 &
TOOL_PID=$!
wait_file 300 "$CTL/hub.uri" "$TOOL_PID"
export HF_ENDPOINT; HF_ENDPOINT=$(cat "$CTL/hub.uri")
wait_file 3600 "$CTL/ready" "$TOOL_PID"
MODEL_BYTES=$(( (SIZE_MIB << 20) + 2 ))   # the shard + config.json ("{}")
SHA=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['shard_sha256'])" "$RAW_JSON")
COMMIT=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['commit'])" "$RAW_JSON")

# Row 11: prefetch, fresh prefix and cache each run.
declare -a INGEST INGEST_S INGEST_HUB
for r in $(seq "$RUNS"); do
  echo "== row 11 run $r: hcpmodelfs prefetch" >&2
  snap "p$r-before"
  ( cd "$SCRATCH" && HCP_PREFIX="ingest-p$r/" MODEL_CACHE_DIR="$SCRATCH/cache-p$r" exec dotnet "$HCPFS_DLL" prefetch bench/big-model ) \
    > "$SCRATCH/prefetch-$r.out" 2> "$SCRATCH/prefetch-$r.log" &
  PREFETCH_PID=$!
  t0=$(ns_now); rc=0; wait "$PREFETCH_PID" || rc=$?; t1=$(ns_now); PREFETCH_PID=""
  [ "$rc" = 0 ] || { echo "prefetch failed (exit $rc):" >&2; cat "$SCRATCH/prefetch-$r.log" >&2; exit 1; }
  has_manifest "ingest-p$r/" || { echo "prefetch exited 0 but there is no manifest" >&2; exit 1; }
  snap "p$r-after"
  INGEST_S+=("$(secs "$t0" "$t1")")
  INGEST+=("$(awk -v b="$MODEL_BYTES" -v s="${INGEST_S[-1]}" 'BEGIN { printf "%.1f", b / s / 1e6 }')")
  INGEST_HUB+=($(( $(hub_bytes "p$r-after") - $(hub_bytes "p$r-before") )))
  echo "   ${INGEST_S[-1]} s, ${INGEST[-1]} MB/s, Hub bytes ${INGEST_HUB[-1]}" >&2
done
# Fixed cost of one prefetch process (start-up, store probe, resolve) on a model that is already stored.
t0=$(ns_now)
( cd "$SCRATCH" && HCP_PREFIX="ingest-p1/" MODEL_CACHE_DIR="$SCRATCH/cache-p1" exec dotnet "$HCPFS_DLL" prefetch bench/big-model ) \
  > /dev/null 2> "$SCRATCH/prefetch-stored.log"
t1=$(ns_now); PREFETCH_FIXED_S=$(secs "$t0" "$t1")

# Row 10: fresh mount, model missing from the store, first 4 KiB of the shard.
mount_fresh() { # $1 = run
  ( cd "$SCRATCH" && HCP_PREFIX="ingest-m$1/" MODEL_CACHE_DIR="$SCRATCH/cache-m$1" exec dotnet "$HCPFS_DLL" mount "$MNT" ) \
    > /dev/null 2> "$SCRATCH/daemon-$1.log" &
  DAEMON_PID=$!
  for _ in $(seq 300); do grep -q " $MNT " /proc/self/mountinfo && return 0; alive "$DAEMON_PID" || break; sleep 0.1; done
  echo "mount did not appear:" >&2; cat "$SCRATCH/daemon-$1.log" >&2; exit 1
}
unmount() {
  stop_pid "$DAEMON_PID" 60; DAEMON_PID=""
  if grep -q " $MNT " /proc/self/mountinfo; then echo "mount still there after the daemon exited" >&2; exit 1; fi
}
declare -a FIRST FIRST_MANIFEST FIRST_HUB FIRST_CACHE COMMIT_S VERIFIED MOUNT_HUB
for r in $(seq "$RUNS"); do
  echo "== row 10 run $r: first byte of a missing model" >&2
  has_manifest "ingest-m$r/" && { echo "ingest-m$r/ already has a manifest" >&2; exit 1; }
  mount_fresh "$r"
  snap "m$r-before"
  t0=$(ns_now)
  dd if="$MNT/bench/big-model/model.safetensors" bs=4k count=1 of=/dev/null status=none
  t1=$(ns_now)
  if has_manifest "ingest-m$r/"; then FIRST_MANIFEST+=(yes); else FIRST_MANIFEST+=(no); fi
  snap "m$r-first"
  FIRST+=("$(secs "$t0" "$t1")")
  FIRST_HUB+=($(( $(hub_bytes "m$r-first") - $(hub_bytes "m$r-before") )))
  FIRST_CACHE+=("$(du -s --block-size=1 "$SCRATCH/cache-m$r" | cut -f1)")  # allocated, not apparent (sparse files)
  # The ingest the open started: time until its manifest is in the store (bounded), from the dd's start.
  committed=""
  for _ in $(seq 6000); do has_manifest "ingest-m$r/" && { committed=1; break; }; alive "$DAEMON_PID" || break; sleep 0.1; done
  t2=$(ns_now)
  COMMIT_S+=("$([ -n "$committed" ] && secs "$t0" "$t2" || echo null)")
  if [ "$r" = 1 ]; then
    got=$(sha256sum "$MNT/bench/big-model/model.safetensors" | cut -d' ' -f1)
    [ "$got" = "$SHA" ] && VERIFIED+=(true) || { VERIFIED+=(false); echo "wrong bytes through the mount: $got" >&2; }
  fi
  snap "m$r-end"
  MOUNT_HUB+=($(( $(hub_bytes "m$r-end") - $(hub_bytes "m$r-before") )))
  echo "   first byte ${FIRST[-1]} s, manifest at first byte: ${FIRST_MANIFEST[-1]}, Hub bytes by then ${FIRST_HUB[-1]}," \
    "cache ${FIRST_CACHE[-1]} B; manifest after ${COMMIT_S[-1]} s; Hub bytes in this mount ${MOUNT_HUB[-1]}" >&2
  unmount
done
LOAD_END=$(uptime)

OUT="$ROOT/bench/results/ingest-$(date -u +%Y%m%dT%H%M%SZ).json"
for f in "$SCRATCH"/prefetch-*.log "$SCRATCH"/daemon-*.log; do
  [ -s "$f" ] && { echo "--- $(basename "$f") (non-empty)" >&2; tail -n 20 "$f" >&2; }
done
python3 - "$RAW_JSON" "$OUT" "$CTL" <<PY
import glob, json, os, statistics, sys
raw = json.load(open(sys.argv[1])); ctl = sys.argv[3]
def nums(s): return [float(x) for x in s.split()]
def hub(name): return json.load(open(os.path.join(ctl, name + ".json")))
logs = {os.path.basename(f): open(f).read().splitlines()[-20:] for f in sorted(glob.glob("$SCRATCH/*.log")) if os.path.getsize(f) > 0}
ingest = nums("${INGEST[*]}"); first = nums("${FIRST[*]}")
den = min(raw["raw_hub_mb_s"], raw["raw_store_mb_s"])
out = {
  "benchmark": "ingest", "shard_mib": $SIZE_MIB, "model_bytes": $MODEL_BYTES, "runs": $RUNS,
  "kernel": os.uname().release, "cpus": os.cpu_count(),
  "uptime_start": "$LOAD_START".strip(), "uptime_end": "$LOAD_END".strip(),
  "raw_hub_mb_s": raw["raw_hub_mb_s"], "raw_store_mb_s": raw["raw_store_mb_s"], "pipe_mb_s": raw["pipe_mb_s"],
  "row11_ingest_mb_s": ingest, "row11_ingest_s": nums("${INGEST_S[*]}"), "row11_hub_bytes": nums("${INGEST_HUB[*]}"),
  "row11_median_mb_s": statistics.median(ingest), "row11_ratio": round(statistics.median(ingest) / den, 3),
  "prefetch_already_stored_s": float("$PREFETCH_FIXED_S"),
  "row10_first_byte_s": first, "row10_median_s": statistics.median(first),
  "row10_manifest_at_first_byte": "${FIRST_MANIFEST[*]}".split(),
  "row10_hub_bytes_at_first_byte": nums("${FIRST_HUB[*]}"), "row10_cache_bytes_at_first_byte": nums("${FIRST_CACHE[*]}"),
  "row10_manifest_after_s": [None if x == "null" else float(x) for x in "${COMMIT_S[*]}".split()],
  "row10_hub_bytes_whole_mount": nums("${MOUNT_HUB[*]}"),
  "row10_sha256_through_mount_ok": "${VERIFIED[*]}" == "true",
  "hub_requests_total": hub("m$RUNS-end"),
  "nonempty_logs_tail": logs,
  "raw": raw,
}
json.dump(out, open(sys.argv[2], "w"), indent=2)
PY

m() { median "$@"; }
R11=$(m "${INGEST[@]}")
DEN=$(python3 -c "import json; d=json.load(open('$OUT')); print(min(d['raw_hub_mb_s'], d['raw_store_mb_s']))")
RAWH=$(python3 -c "import json; print(json.load(open('$OUT'))['raw_hub_mb_s'])")
RAWS=$(python3 -c "import json; print(json.load(open('$OUT'))['raw_store_mb_s'])")
PIPE=$(python3 -c "import json; print(json.load(open('$OUT'))['pipe_mb_s'])")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "Ingest, one ${SIZE_MIB} MiB LFS shard + config.json, fake Hub (127.0.0.1/127.0.0.2) -> Ceph RGW, medians of $RUNS, MB/s = 10^6 B/s"
echo
echo "| row | what | measured (median of $RUNS) | runs | denominator | ratio | target |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
echo "| RAW_HUB | ranged GET 8 MiB x 8, fake Hub -> memory | $RAWH MB/s | | | | |"
echo "| RAW_STORE | multipart 8 MiB x 8, memory -> RGW | $RAWS MB/s | | | | |"
echo "| (info) | pipe: Hub range -> store part, 8 MiB x 8, no cache/hash | $PIPE MB/s | | min(RAW) $DEN | $(ratio "$PIPE" "$DEN") | |"
echo "| 11 | hcpmodelfs prefetch (wall, incl. process start) | $R11 MB/s | ${INGEST[*]} | min(RAW) $DEN MB/s | $(ratio "$R11" "$DEN") | >= 0.8 |"
echo "| (info) | prefetch of a model already stored (fixed cost) | $PREFETCH_FIXED_S s | | | | |"
echo "| 10 | first 4 KiB of a missing model, fresh mount (incl. lookup) | $(m "${FIRST[@]}") s | ${FIRST[*]} | | | <= 2 s |"
echo "| 10 | manifest in the store at that moment | ${FIRST_MANIFEST[*]} | | | | no |"
echo "| 10 | Hub bytes fetched by then | $(m "${FIRST_HUB[@]}") B | ${FIRST_HUB[*]} | model $MODEL_BYTES B | | << model |"
echo "| (info) | mount: dd start -> manifest in store | $(m "${COMMIT_S[@]}") s | ${COMMIT_S[*]} | | | |"
echo "| (info) | Hub bytes per mount (ingest + reader) | $(m "${MOUNT_HUB[@]}") B | ${MOUNT_HUB[*]} | model $MODEL_BYTES B | | = model |"
echo
echo "load: start: $LOAD_START"
echo "      end:   $LOAD_END"
echo "results: $OUT"
