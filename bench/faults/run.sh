#!/usr/bin/env bash
# bench/faults: issue 13 item 1's throughput row. One shard read cold through the mount, the daemon talking to Ceph
# RGW through the fault proxy (bench/faults/FaultProxy, the tests' S3FaultProxy as a process): CLEAN (no faults), then
# FAULTS (RESET_P of data GETs reset mid-body + SLOWDOWN_P answered 503 SlowDown), interleaved over ROUNDS, each read on
# a fresh cache and a fresh mount, every read checked with sha256. Prints both medians in MB/s and FAULTS/CLEAN; the
# target is >= 0.7. Nothing is kept but the printed lines (and RESULT_JSON if set).
# Usage (root): bench/faults/run.sh [SIZE_MIB=1024] [ROUNDS=3]
#   RESET_P=0.05 SLOWDOWN_P=0.05 RETRY_AFTER=0 (seconds sent with the 503; 0 = none: the daemon's own backoff)
#   HCPMODELFS_BLOCK_SIZE etc. reach the daemon as usual; HCPMODELFS_BIN=path runs that binary instead of the build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIZE_MIB=${1:-1024}
ROUNDS=${2:-3}
RESET_P=${RESET_P:-0.05} SLOWDOWN_P=${SLOWDOWN_P:-0.05} RETRY_AFTER=${RETRY_AFTER:-0}
[ "$(id -u)" -eq 0 ] || { echo "bench/faults: run as root (mounts)" >&2; exit 1; }
# A fresh machine: Ceph RGW, fuse3, attr, node (idempotent; a second run only checks).
"$ROOT/scripts/install-test-deps.sh" >&2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 LC_ALL=C
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hcpfs-faults-XXXXXX")
MNT=$SCRATCH/mnt; mkdir -p "$MNT"
DAEMON_PID="" PROXY_PID=""
log() { echo "[$(date -u +%T)] $*" >&2; }
stop_pid() { # TERM, bounded wait, KILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  [ -n "$DAEMON_PID" ] && stop_pid "$DAEMON_PID"
  [ -n "$PROXY_PID" ] && stop_pid "$PROXY_PID"
  grep -q " $MNT " /proc/self/mountinfo && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
  "$ROOT/scripts/rgw.sh" stop "$SCRATCH/rgw" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT INT TERM

[ -n "${HCPMODELFS_BIN:-}" ] || dotnet build -c Release -nologo -v q "$ROOT/src/HcpModelFs/HcpModelFs.csproj" >&2
dotnet build -c Release -nologo -v q "$ROOT/bench/faults/FaultProxy/FaultProxy.csproj" >&2
HCPFS=${HCPMODELFS_BIN:-"dotnet $ROOT/src/HcpModelFs/bin/Release/net10.0/hcpmodelfs.dll"}
PROXY="dotnet $ROOT/bench/faults/FaultProxy/bin/Release/net10.0/HcpModelFs.FaultProxy.dll"

mkdir -p "$SCRATCH/rgw"
"$ROOT/scripts/rgw.sh" start "$SCRATCH/rgw" --bluestore $(( SIZE_MIB * 2 / 1024 + 6 ))G --watch-pid $$ >/dev/null
set -a; . "$SCRATCH/rgw/rgw.env"; set +a
RGW_ENDPOINT=$S3_ENDPOINT
export S3_BUCKET=bench HCP_PREFIX=models/ HCPMODELFS_LOG_FORMAT=text HCPMODELFS_LOG_LEVEL=${HCPMODELFS_LOG_LEVEL:-Warning}
export HCPMODELFS_PASSTHROUGH=off HCPMODELFS_HUB_INGEST=off HCPMODELFS_METRICS_LISTEN=off
curl -sf -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:us-east-1:s3" \
  --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" "$RGW_ENDPOINT/bench" >/dev/null || true

log "model: one ${SIZE_MIB} MiB shard"
MODEL=$SCRATCH/model; mkdir -p "$MODEL"
head -c $(( SIZE_MIB * 1048576 )) /dev/urandom > "$MODEL/model-00001-of-00001.safetensors"
SHA=$(sha256sum "$MODEL/model-00001-of-00001.safetensors" | cut -d' ' -f1)
S3_ENDPOINT=$RGW_ENDPOINT $HCPFS upload bench/model "$MODEL" >&2
rm -f "$MODEL/model-00001-of-00001.safetensors"
SHARD=$MNT/bench/model/model-00001-of-00001.safetensors

proxy_start() { # proxy_start ARGS...: sets PROXY_URL, PROXY_PID, PROXY_OUT
  PROXY_OUT=$SCRATCH/proxy-$RANDOM.out
  $PROXY "$RGW_ENDPOINT" "$@" > "$PROXY_OUT" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 300); do grep -q '^PROXY ' "$PROXY_OUT" && break; sleep 0.1; done
  PROXY_URL=$(awk '/^PROXY / {print $2}' "$PROXY_OUT")
  [ -n "$PROXY_URL" ] || { cat "$PROXY_OUT" >&2; exit 1; }
}
proxy_stop() { stop_pid "$PROXY_PID"; PROXY_PID=""; FAULT_LINE=$(grep '^FAULTS ' "$PROXY_OUT" || true); }
mount_fresh() {
  rm -rf "$SCRATCH/cache"; mkdir -p "$SCRATCH/cache"
  S3_ENDPOINT=$PROXY_URL MODEL_CACHE_DIR=$SCRATCH/cache $HCPFS mount "$MNT" 2> "$SCRATCH/daemon.log" &
  DAEMON_PID=$!
  for _ in $(seq 300); do grep -q " $MNT " /proc/self/mountinfo && break; sleep 0.1; done
  grep -q " $MNT " /proc/self/mountinfo || { cat "$SCRATCH/daemon.log" >&2; exit 1; }
}
unmount() { stop_pid "$DAEMON_PID"; DAEMON_PID=""; }
# One cold read: MB/s on stdout; a wrong byte or a failed read exits the subshell non-zero, and set -e ends the run.
cold_read() {
  local t0 t1 sum
  stat "$SHARD" >/dev/null
  t0=$(date +%s%N)
  sum=$(sha256sum "$SHARD" | cut -d' ' -f1) || { tail -20 "$SCRATCH/daemon.log" >&2; echo "bench/faults: FAILED: read error" >&2; exit 1; }
  t1=$(date +%s%N)
  [ "$sum" = "$SHA" ] || { echo "bench/faults: FAILED: wrong bytes through the mount" >&2; exit 1; }
  awk -v b=$(( SIZE_MIB * 1048576 )) -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.0f", b / (ns / 1e9) / 1e6 }'
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -a CLEAN FAULTY
FIRED=""
for r in $(seq "$ROUNDS"); do
  # Order rotated each round, so neither side always reads right after the upload or the other one.
  for phase in $( (( r % 2 )) && echo "clean faults" || echo "faults clean"); do
    if [ "$phase" = clean ]; then proxy_start; else proxy_start --reset "$RESET_P" --slowdown "$SLOWDOWN_P" --retry-after "$RETRY_AFTER"; fi
    mount_fresh
    mbps=$(cold_read)
    unmount
    proxy_stop
    if [ "$phase" = clean ]; then CLEAN+=("$mbps"); else FAULTY+=("$mbps"); FIRED="$FIRED ${FAULT_LINE#FAULTS }"; fi
    log "round $r $phase: $mbps MB/s ${FAULT_LINE#FAULTS }"
  done
done

C=$(median "${CLEAN[@]}") F=$(median "${FAULTY[@]}")
RATIO=$(awk -v f="$F" -v c="$C" 'BEGIN { if (c > 0) printf "%.2f", f / c; else print "n/a" }')
VERDICT=$(awk -v r="$RATIO" 'BEGIN { print (r + 0 >= 0.7) ? "PASS" : "FAIL" }')
echo "shard ${SIZE_MIB} MiB, ${ROUNDS} rounds, faults on data GETs: ${RESET_P} reset mid-body + ${SLOWDOWN_P} 503 SlowDown (Retry-After ${RETRY_AFTER} s)"
echo "clean   MB/s: ${CLEAN[*]} (median $C)"
echo "faults  MB/s: ${FAULTY[*]} (median $F); fired:$FIRED"
echo "ratio faults/clean: $RATIO (target >= 0.7: $VERDICT)"
if [ -n "${RESULT_JSON:-}" ]; then
  printf '{ "benchmark": "faults-throughput", "shard_mib": %s, "rounds": %s, "reset_p": %s, "slowdown_p": %s, "retry_after_s": %s, "clean_mbps": [%s], "faults_mbps": [%s], "ratio": "%s" }\n' \
    "$SIZE_MIB" "$ROUNDS" "$RESET_P" "$SLOWDOWN_P" "$RETRY_AFTER" "$(IFS=,; echo "${CLEAN[*]}")" "$(IFS=,; echo "${FAULTY[*]}")" "$RATIO" > "$RESULT_JSON"
fi
