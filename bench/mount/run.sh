#!/usr/bin/env bash
# bench/mount: design.md §9 rows 1, 3, 4, 5, 6, 8, 9, 12 for the read path, numerators and denominators in one run.
#   RAW  = ranged GETs of 8 MiB, 16 in flight, store -> memory (bench/store's tool, same RGW, same size)
#   DISK = dd bs=1M of the daemon's own cache file after dropping the page cache
# Ceph RGW with a bluestore OSD on a sparse file; a model with one SIZE_MIB shard and 34 small files.
# Each cold measurement uses a fresh cache directory and a fresh mount. Medians of RUNS.
# Usage (root): bench/mount/run.sh [SIZE_MIB=2048] [RUNS=3]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIZE_MIB=${1:-2048}
RUNS=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "run as root (mounts, drop_caches)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
SCRATCH=$(mktemp -d /tmp/hcpfs-mbench-XXXXXX)
MNT=$SCRATCH/mnt; mkdir -p "$MNT"
DAEMON_PID=""
cleanup() {
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  grep -q " $MNT " /proc/self/mountinfo && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
  "$ROOT/scripts/rgw.sh" stop "$SCRATCH/rgw" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT INT TERM

dotnet build -c Release -nologo -v q "$ROOT/src/HcpModelFs/HcpModelFs.csproj" >&2
dotnet build -c Release -nologo -v q "$ROOT/tests/HcpModelFs.FuseTestHost/HcpModelFs.FuseTestHost.csproj" >&2
dotnet build -c Release -nologo -v q "$ROOT/bench/store/StoreBench/StoreBench.csproj" >&2
HCPFS="dotnet $ROOT/src/HcpModelFs/bin/Release/net10.0/hcpmodelfs.dll"
TOOL="dotnet $ROOT/tests/HcpModelFs.FuseTestHost/bin/Release/net10.0/HcpModelFs.FuseTestHost.dll"

mkdir -p "$SCRATCH/rgw"
"$ROOT/scripts/rgw.sh" start "$SCRATCH/rgw" --bluestore $(( SIZE_MIB * 3 / 1024 + 6 ))G --watch-pid $$ >/dev/null
set -a; . "$SCRATCH/rgw/rgw.env"; set +a
export S3_BUCKET=bench HCP_PREFIX=models/ HCPMODELFS_LOG_FORMAT=text HCPMODELFS_LOG_LEVEL=Warning
curl -sf -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" "$S3_ENDPOINT/bench" >/dev/null || true

echo "== RAW (store -> memory)" >&2
RAW_JSON=$SCRATCH/raw.json
dotnet "$ROOT/bench/store/StoreBench/bin/Release/net10.0/HcpModelFs.Bench.dll" --env "$SCRATCH/rgw/rgw.env" --size-mib "$SIZE_MIB" --runs "$RUNS" --out "$RAW_JSON" >&2
RAW=$(python3 -c "import json; d=json.load(open('$RAW_JSON')); print(round(next(r['median_mb_s'] for r in d['results'] if r['name'].startswith('ranged GET 8 MiB, 16'))))")

echo "== model: one ${SIZE_MIB} MiB shard + 34 small files" >&2
MODEL=$SCRATCH/model; mkdir -p "$MODEL"
head -c $(( SIZE_MIB * 1048576 )) /dev/urandom > "$MODEL/model-00001-of-00001.safetensors"
for i in $(seq -w 1 34); do head -c $(( 1000 + 10#$i * 37 )) /dev/urandom > "$MODEL/file-$i.json"; done
SHA=$(sha256sum "$MODEL/model-00001-of-00001.safetensors" | cut -d' ' -f1)
$HCPFS upload bench/model "$MODEL" >&2
SHARD=$MNT/bench/model/model-00001-of-00001.safetensors

mount_fresh() { # $1 = cache dir
  rm -rf "$1"; mkdir -p "$1"
  MODEL_CACHE_DIR=$1 $HCPFS mount "$MNT" 2> "$SCRATCH/daemon.log" &
  DAEMON_PID=$!
  for _ in $(seq 300); do grep -q " $MNT " /proc/self/mountinfo && break; sleep 0.1; done
  grep -q " $MNT " /proc/self/mountinfo || { cat "$SCRATCH/daemon.log" >&2; exit 1; }
}
unmount() { kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=""; }
dd_mbps() { dd if="$1" of=/dev/null bs=1M 2>&1 | tail -1 | awk '{ for (i=1;i<=NF;i++) if ($i=="copied,") { printf "%.0f", $1/$(i+1)/1e6 } }'; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
ms_now() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -a COLD MMAP PAR WARM DISK REOPEN TTFB RSS1 STATN
for r in $(seq "$RUNS"); do
  echo "== run $r" >&2
  mount_fresh "$SCRATCH/cache"
  t0=$(ms_now); head -c 1 "$SHARD" > /dev/null; t1=$(ms_now); TTFB+=($(( (t1 - t0) / 1000000 )))
  COLD+=($(dd_mbps "$SHARD"))
  RSS1+=($(awk '/VmHWM/ {print int($2/1024)}' /proc/$DAEMON_PID/status))
  [ "$r" = 1 ] && { [ "$(sha256sum "$SHARD" | cut -d' ' -f1)" = "$SHA" ] || { echo "wrong bytes through the mount" >&2; exit 1; }; }
  REOPEN+=($(dd_mbps "$SHARD"))
  drop; WARM+=($(dd_mbps "$SHARD"))
  cachefile=$(find "$SCRATCH/cache" -type f -size +1M ! -name '*.meta' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
  drop; DISK+=($(dd_mbps "$cachefile"))
  STATN+=($($TOOL stat-loop "$MNT/bench/model" 2000 | awk '{print $2}'))
  unmount

  mount_fresh "$SCRATCH/cache"; MMAP+=($($TOOL mmap-touch "$SHARD" | awk '{print $2}')); unmount
  mount_fresh "$SCRATCH/cache"; PAR+=($($TOOL parallel-read "$SHARD" 16 2097152 | awk '{print $2}')); unmount
done
LOCAL_STAT=$($TOOL stat-loop "$MODEL" 2000 | awk '{print $2}')

m() { median "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
OUT="$ROOT/bench/results/mount-$(date -u +%Y%m%dT%H%M%SZ).json"
cat > "$OUT" <<JSON
{ "benchmark": "mount-read-path", "shard_mib": $SIZE_MIB, "runs": $RUNS, "kernel": "$(uname -r)", "cpus": $(nproc),
  "raw_16x8MiB_mbps": "${RAW:-see $RAW_JSON}",
  "cold_dd_mbps": [${COLD[*]// /, }], "mmap_touch_mbps": [${MMAP[*]// /, }], "parallel16_mbps": [${PAR[*]// /, }],
  "warm_dropped_mbps": [${WARM[*]// /, }], "disk_mbps": [${DISK[*]// /, }], "reopen_mbps": [${REOPEN[*]// /, }],
  "ttfb_ms": [${TTFB[*]// /, }], "peak_rss_mib_1_reader": [${RSS1[*]// /, }],
  "stat_ns_mount": [${STATN[*]// /, }], "stat_ns_local": $LOCAL_STAT }
JSON
cp "$RAW_JSON" "${OUT%.json}-raw.json"
echo
echo "| row | what | measured (median of $RUNS) | denominator | ratio | target |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "| 1 | cold dd bs=1M | $(m "${COLD[@]}") MB/s | RAW ${RAW:-?} MB/s | $(ratio "$(m "${COLD[@]}")" "${RAW:-0}") | >= 0.9 |"
echo "| 3 | cold mmap page-touch | $(m "${MMAP[@]}") MB/s | row 1 | $(ratio "$(m "${MMAP[@]}")" "$(m "${COLD[@]}")") | >= 0.75 |"
echo "| 4 | 16 fds x 1/16, 2 MiB reads | $(m "${PAR[@]}") MB/s | RAW | $(ratio "$(m "${PAR[@]}")" "${RAW:-0}") | >= 0.9 |"
echo "| 5 | warm, page cache dropped | $(m "${WARM[@]}") MB/s | DISK $(m "${DISK[@]}") MB/s | $(ratio "$(m "${WARM[@]}")" "$(m "${DISK[@]}")") | >= 0.9 |"
echo "| 6 | re-read, same mount | $(m "${REOPEN[@]}") MB/s | (page cache) | | no READs |"
echo "| 8 | peak RSS, 1 reader, ${SIZE_MIB} MiB cold | $(m "${RSS1[@]}") MiB | | | <= 256 MiB |"
echo "| 9 | time to first byte, fresh mount | $(m "${TTFB[@]}") ms (incl. lookup + manifest) | | | <= 1.5 x GET + 5 ms |"
echo "| 12 | stat per entry, 35-file dir, warm | $(m "${STATN[@]}") ns | local $LOCAL_STAT ns | $(ratio "$(m "${STATN[@]}")" "$LOCAL_STAT") | <= 1.5 |"
echo
echo "results: $OUT"
