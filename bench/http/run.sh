#!/usr/bin/env bash
# bench/http/run.sh: design.md §9 row 16 in ONE small run - one cold read of the same file as RAW (one plain ranged
# GET of the whole object from RGW, curl), through `hcpmodelfs mount` (dd bs=1M) and through the HTTP endpoint
# (curl of /resolve), each cold (fresh cache, page cache dropped; the process warmed by one small file), bytes checked,
# with the daemon's CPU per GiB (utime+stime, of it kernel). Not a replacement for bench/run.
# Usage (root): bench/http/run.sh [--size-mib N] (default 256). HCPMODELFS_BIN=path skips the ReadyToRun publish.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIZE_MIB=256
[ "${1:-}" = --size-mib ] && SIZE_MIB=$2
[ "$(id -u)" -eq 0 ] || { echo "bench/http/run.sh: run as root (mount, drop_caches)" >&2; exit 1; }
log() { echo "[$(date -u +%T)] $*" >&2; }
die() { echo "bench/http/run.sh: FAILED: $*" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 LC_ALL=C
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hcpfs-http-bench-XXXXXX")
MNT=$SCRATCH/mnt CACHE=$SCRATCH/cache
mkdir -p "$MNT" "$SCRATCH/logs"
DAEMON_PID=""
is_mounted() { awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }
stop_daemon() {
  [ -n "$DAEMON_PID" ] || return 0
  kill -TERM "$DAEMON_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
  is_mounted "$MNT" && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }; return 0
}
cleanup() { stop_daemon; "$ROOT/scripts/rgw.sh" stop "$SCRATCH/rgw" >/dev/null 2>&1 || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT

if [ -n "${HCPMODELFS_BIN:-}" ]; then HCPFS=$HCPMODELFS_BIN; else
  log "publishing hcpmodelfs (Release, ReadyToRun)"
  dotnet publish "$ROOT/src/HcpModelFs" -c Release -r linux-x64 --self-contained false -o "$SCRATCH/bin" -v q >&2
  HCPFS=$SCRATCH/bin/hcpmodelfs
fi

log "starting Ceph RGW (bluestore)"
"$ROOT/scripts/rgw.sh" start "$SCRATCH/rgw" --bluestore 4G --watch-pid $$ >/dev/null
set -a; . "$SCRATCH/rgw/rgw.env"; set +a
unset HCP_ENDPOINT HCP_NAMESPACE HCP_ACCESS_KEY HCP_SECRET_KEY HCPMODELFS_STORE_DIR
cd "$SCRATCH"
export S3_BUCKET=bench HCP_PREFIX=models/ HCPMODELFS_LOG_FORMAT=text HCPMODELFS_HUB_INGEST=off
s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
  --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" "$@"; }
s3curl -X PUT "$S3_ENDPOINT/$S3_BUCKET" >/dev/null
mkdir -p "$SCRATCH/model"; FILE=model-00001-of-00001.safetensors
head -c $(( SIZE_MIB * 1048576 )) /dev/urandom > "$SCRATCH/model/$FILE"
# A small file read through both doors right after each start: a daemon runs for long, so what is measured is a cold
# cache in a warm process (code paths compiled, connections open), for the mount and the endpoint alike.
head -c 3000 /dev/urandom > "$SCRATCH/model/config.json"
SHA=$(sha256sum "$SCRATCH/model/$FILE" | cut -d' ' -f1); BYTES=$(stat -c %s "$SCRATCH/model/$FILE")
COMMIT=$("$HCPFS" upload bench/model "$SCRATCH/model" 2>> "$SCRATCH/logs/upload.log" | sed -n 's/^bench\/model@\([^:]*\):.*/\1/p')
[ -n "$COMMIT" ] || die "upload"
KEY=${HCP_PREFIX}bench/model/$COMMIT/$FILE
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }          # utime + stime of the daemon, in clock ticks
sticks() { awk '{ print $15 }' "/proc/$1/stat"; }               # stime alone (kernel: socket, /dev/fuse, pread)
cpu_per_gib() { awk -v t="$1" -v hz="$HZ" -v b="$BYTES" 'BEGIN { printf "%.2f", t / hz / (b / 1073741824) }'; }
mbps() { awk -v b="$BYTES" -v ns="$1" 'BEGIN { printf "%.1f", b / (ns / 1e9) / 1e6 }'; }
STARTS=0
start_daemon() { # fresh cache, mount + HTTP endpoint in one process; sets URL (each start logs to its own file)
  rm -rf "$CACHE"; mkdir -p "$CACHE"; drop
  STARTS=$(( STARTS + 1 )); local dlog=$SCRATCH/logs/daemon-$STARTS.log
  MODEL_CACHE_DIR=$CACHE "$HCPFS" mount "$MNT" --serve 127.0.0.1:0 > "$dlog" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 300); do grep -q "HTTP endpoint listening on" "$dlog" && is_mounted "$MNT" && break; sleep 0.1; done
  URL=$(sed -n 's/.*HTTP endpoint listening on \(http:[^;]*\);.*/\1/p' "$dlog" | tail -1)
  [ -n "$URL" ] && is_mounted "$MNT" || { tail -20 "$dlog" >&2; die "daemon did not start"; }
  cat "$MNT/bench/model/config.json" > /dev/null
  curl -sS -f --noproxy '*' -o /dev/null "${URL%/}/bench/model/resolve/main/config.json"
  curl -sS -f --noproxy '*' -o /dev/null -r 0-99 "${URL%/}/bench/model/resolve/main/config.json"
}

log "RAW: one ranged GET of the whole object"
drop; t0=$(date +%s%N); s3curl -o /dev/null -r 0-$(( BYTES - 1 )) "$S3_ENDPOINT/$S3_BUCKET/$KEY"; t1=$(date +%s%N)
RAW=$(mbps $(( t1 - t0 )))
[ "$(s3curl "$S3_ENDPOINT/$S3_BUCKET/$KEY" | sha256sum | cut -d' ' -f1)" = "$SHA" ] || die "wrong bytes from the store"

log "mount: cold dd bs=1M"
start_daemon
s0=$(sticks "$DAEMON_PID"); c0=$(ticks "$DAEMON_PID"); t0=$(date +%s%N); dd if="$MNT/bench/model/$FILE" of=/dev/null bs=1M status=none; t1=$(date +%s%N)
MOUNT=$(mbps $(( t1 - t0 ))); MOUNT_CPU=$(cpu_per_gib $(( $(ticks "$DAEMON_PID") - c0 ))); MOUNT_SYS=$(cpu_per_gib $(( $(sticks "$DAEMON_PID") - s0 )))
[ "$(sha256sum "$MNT/bench/model/$FILE" | cut -d' ' -f1)" = "$SHA" ] || die "wrong bytes through the mount"
stop_daemon

log "HTTP: cold curl of /resolve"
start_daemon
s0=$(sticks "$DAEMON_PID"); c0=$(ticks "$DAEMON_PID"); t0=$(date +%s%N); curl -sS -f --noproxy '*' -o /dev/null "${URL%/}/bench/model/resolve/main/$FILE"; t1=$(date +%s%N)
HTTP=$(mbps $(( t1 - t0 ))); HTTP_CPU=$(cpu_per_gib $(( $(ticks "$DAEMON_PID") - c0 ))); HTTP_SYS=$(cpu_per_gib $(( $(sticks "$DAEMON_PID") - s0 )))
[ "$(curl -sS -f --noproxy '*' "${URL%/}/bench/model/resolve/main/$FILE" | sha256sum | cut -d' ' -f1)" = "$SHA" ] || die "wrong bytes over HTTP"
stop_daemon

printf '| %s MiB, cold, one run | MB/s | x RAW | daemon CPU s/GiB (of it kernel) |\n| --- | --- | --- | --- |\n' "$SIZE_MIB"
printf '| RAW (one ranged GET, curl) | %s | 1.00 | - |\n' "$RAW"
printf '| mount (dd bs=1M) | %s | %s | %s |\n' "$MOUNT" "$(awk -v a="$MOUNT" -v b="$RAW" 'BEGIN { printf "%.2f", a / b }')" "$MOUNT_CPU ($MOUNT_SYS)"
printf '| HTTP resolve (curl) | %s | %s | %s |\n' "$HTTP" "$(awk -v a="$HTTP" -v b="$RAW" 'BEGIN { printf "%.2f", a / b }')" "$HTTP_CPU ($HTTP_SYS)"
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'HTTP / mount = %s\n' "$(awk -v a="$HTTP" -v b="$MOUNT" 'BEGIN { printf "%.2f", a / b }')"
