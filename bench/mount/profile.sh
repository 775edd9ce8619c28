#!/usr/bin/env bash
# bench/mount/profile.sh: where the CPU goes during a cold read through the mount (design.md §9 row 1).
# Same setup as bench/mount/run.sh (Ceph RGW with a bluestore OSD on a sparse file, one SIZE_MIB shard uploaded with
# `hcpmodelfs upload`), then two cold `dd bs=1M` reads, each on a fresh cache and a fresh mount:
#   1. `perf record -g -p <daemon>`: the daemon alone, JIT frames resolved through DOTNET_PerfMapEnabled=1;
#   2. `perf record -g -a`: the whole machine, to split CPU between daemon, radosgw, ceph-osd, dd and the kernel.
# PROFILE_AB="ENV=1;ENV=0 OTHER=1" instead compares daemon settings without perf: for each ';'-separated list of
# daemon environment variables, PROFILE_AB_RUNS cold reads (fresh cache and mount), printing MB/s and daemon CPU
# (PROFILE_AB_SYSCALLS=1: and the daemon's recvfrom and epoll_wait calls during the read). BIN=/path in a list runs
# that daemon binary: PROFILE_AB="BIN=/tmp/a/hcpmodelfs;BIN=/tmp/b/hcpmodelfs" is an A/B of two builds.
# Reports (text) go to OUT_DIR (default /tmp/hcpfs-profile-<UTC time>); nothing else is kept.
# Usage (root): bench/mount/profile.sh [SIZE_MIB=2048] [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SIZE_MIB=${1:-2048}
OUT_DIR=${2:-/tmp/hcpfs-profile-$(date -u +%Y%m%dT%H%M%SZ)}
FREQ=${PROFILE_FREQ:-499}
[ "$(id -u)" -eq 0 ] || { echo "run as root (mounts, perf -a, drop_caches)" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not installed" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$OUT_DIR"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hcpfs-profile-XXXXXX")
MNT=$SCRATCH/mnt; mkdir -p "$MNT"
DAEMON_PID=""
PERF_PID=""
MAPS=()
cleanup() {
  [ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null || true
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  grep -q " $MNT " /proc/self/mountinfo && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
  "$ROOT/scripts/rgw.sh" stop "$SCRATCH/rgw" >/dev/null 2>&1 || true
  for m in "${MAPS[@]}"; do rm -f "$m"; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT INT TERM

dotnet build -c Release -nologo -v q "$ROOT/src/HcpModelFs/HcpModelFs.csproj" >&2
# HCPMODELFS_BIN: another daemon binary, e.g. a ReadyToRun publish (what bench/run and install.sh run)
HCPFS=${HCPMODELFS_BIN:-"dotnet $ROOT/src/HcpModelFs/bin/Release/net10.0/hcpmodelfs.dll"}

mkdir -p "$SCRATCH/rgw"
"$ROOT/scripts/rgw.sh" start "$SCRATCH/rgw" --bluestore $(( SIZE_MIB * 2 / 1024 + 6 ))G --watch-pid $$ >/dev/null
set -a; . "$SCRATCH/rgw/rgw.env"; set +a
export S3_BUCKET=bench HCP_PREFIX=models/ HCPMODELFS_LOG_FORMAT=text HCPMODELFS_LOG_LEVEL=Warning
curl -sf -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:us-east-1:s3" \
  --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" "$S3_ENDPOINT/bench" >/dev/null || true

MODEL=$SCRATCH/model; mkdir -p "$MODEL"
head -c $(( SIZE_MIB * 1048576 )) /dev/urandom > "$MODEL/model-00001-of-00001.safetensors"
$HCPFS upload bench/model "$MODEL" >&2
rm -f "$MODEL/model-00001-of-00001.safetensors"
SHARD=$MNT/bench/model/model-00001-of-00001.safetensors

mount_fresh() { # $1 = extra environment for the daemon
  rm -rf "$SCRATCH/cache"; mkdir -p "$SCRATCH/cache"
  mount_cached "$1"
}
mount_cached() { # $1 = extra environment (BIN=path: that daemon binary instead); the cache directory as it is (a restarted daemon)
  local bin=$HCPFS kv
  for kv in $1; do case $kv in BIN=*) bin=${kv#BIN=} ;; esac; done
  sync; echo 3 > /proc/sys/vm/drop_caches
  env $1 DOTNET_PerfMapEnabled=1 MODEL_CACHE_DIR=$SCRATCH/cache $bin mount "$MNT" 2> "$SCRATCH/daemon.log" &
  DAEMON_PID=$!
  MAPS+=("/tmp/perf-$DAEMON_PID.map" "/tmp/perfinfo-$DAEMON_PID.map")
  for _ in $(seq 300); do grep -q " $MNT " /proc/self/mountinfo && break; sleep 0.1; done
  grep -q " $MNT " /proc/self/mountinfo || { cat "$SCRATCH/daemon.log" >&2; exit 1; }
  stat "$SHARD" >/dev/null
}
unmount() { kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=""; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime of a process, in clock ticks
stop_perf() { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=""; }

# Waits for the whole-file check (and any other background work) to finish too: it is part of a cold read's cost.
settle() { for _ in $(seq 120); do sleep 0.5; t=$(cpu_ticks "$DAEMON_PID"); [ "$t" = "${last:-}" ] && break; last=$t; done; unset last; }

dd_mbps() { dd if="$1" of=/dev/null bs=1M ${2:-} 2>&1 | tail -1 | awk '{ for (i=1;i<=NF;i++) if ($i=="copied,") printf "%.0f", $1/$(i+1)/1e6 }'; }

# PROFILE_RESTART=N: fill the cache with one cold read, then N times: DISK (the cache file itself, page cache dropped)
# and `dd` through a freshly restarted daemon on that cache (design §9 row 5 after a restart), with daemon CPU.
if [ -n "${PROFILE_RESTART:-}" ]; then
  hz=$(getconf CLK_TCK)
  mount_fresh ""; dd_mbps "$SHARD" >/dev/null; settle; unmount
  DATA=$(find "$SCRATCH/cache" -type f -size +100M | head -1)
  for rep in $(seq "$PROFILE_RESTART"); do
    sync; echo 3 > /proc/sys/vm/drop_caches
    disk=$(dd_mbps "$DATA")
    mount_cached ""
    t0=$(cpu_ticks "$DAEMON_PID"); mbps=$(dd_mbps "$SHARD"); t1=$(cpu_ticks "$DAEMON_PID")
    printf 'restart run %s: %5s MB/s  DISK %5s MB/s  ratio %s  daemon CPU %5d ms  load %s\n' "$rep" "$mbps" "$disk" \
      "$(awk -v a="$mbps" -v b="$disk" 'BEGIN { printf "%.2f", a / b }')" $(( (t1 - t0) * 1000 / hz )) \
      "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT_DIR/restart.txt" >&2
    unmount
  done
  exit 0
fi

# PROFILE_TTFB=N: where a fresh mount's first byte goes (design §9 row 9): N fresh mounts, each timing the lookups of
# org, model and file, then `head -c 1`, beside one 1-byte ranged GET of the object.
if [ -n "${PROFILE_TTFB:-}" ]; then
  ms_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
  # The largest object of the bucket is the shard (whatever the store layout names it).
  s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" "$@"; }
  KEY=$(s3curl "$S3_ENDPOINT/bench?list-type=2" \
    | python3 -c 'import sys, xml.etree.ElementTree as E; n = "{http://s3.amazonaws.com/doc/2006-03-01/}"
print(max(((int(c.find(n + "Size").text), c.find(n + "Key").text) for c in E.parse(sys.stdin).getroot().iter(n + "Contents")))[1])')
  for rep in $(seq "$PROFILE_TTFB"); do
    mount_fresh ""  # (it stats the shard; unmount and mount again so nothing is looked up yet)
    unmount; mount_cached ""
    t=$(date +%s%N); stat "$MNT/bench" >/dev/null; org=$(ms_since "$t")
    t=$(date +%s%N); stat "$MNT/bench/model" >/dev/null; model=$(ms_since "$t")
    t=$(date +%s%N); stat "$SHARD" >/dev/null; file=$(ms_since "$t")
    t=$(date +%s%N); head -c 1 "$SHARD" >/dev/null; first=$(ms_since "$t")
    t=$(date +%s%N); s3curl -o /dev/null -r 0-0 "$S3_ENDPOINT/bench/$KEY"; get=$(ms_since "$t")
    printf 'ttfb run %s: org %s ms, model %s ms, file %s ms, head -c 1 %s ms; curl 1-byte GET %s ms\n' \
      "$rep" "$org" "$model" "$file" "$first" "$get" | tee -a "$OUT_DIR/ttfb.txt" >&2
    unmount
  done
  exit 0
fi

if [ -n "${PROFILE_AB:-}" ]; then
  hz=$(getconf CLK_TCK)
  IFS=';' read -ra CONFIGS <<< "$PROFILE_AB"
  for rep in $(seq "${PROFILE_AB_RUNS:-2}"); do
    for cfg in "${CONFIGS[@]}"; do
      mount_fresh "$cfg"
      # PROFILE_AB_SYSCALLS=1: the daemon's socket receives and epoll waits during the dd (perf tracepoints).
      calls=""
      if [ -n "${PROFILE_AB_SYSCALLS:-}" ]; then
        perf stat -x, -e syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait -p "$DAEMON_PID" \
          -o "$SCRATCH/calls.txt" 2> /dev/null &
        STAT_PID=$!
      fi
      t0=$(cpu_ticks "$DAEMON_PID")
      mbps=$(dd if="$SHARD" of=/dev/null bs=1M 2>&1 | tail -1 | awk '{ for (i=1;i<=NF;i++) if ($i=="copied,") printf "%.0f", $1/$(i+1)/1e6 }')
      t1=$(cpu_ticks "$DAEMON_PID")
      if [ -n "${PROFILE_AB_SYSCALLS:-}" ]; then
        kill -INT "$STAT_PID" 2> /dev/null; wait "$STAT_PID" 2> /dev/null || true
        calls=$(awk -F, '/recvfrom/ { r = $1 } /epoll_wait/ { e = $1 } END { printf "  recvfrom %s epoll_wait %s", r, e }' "$SCRATCH/calls.txt")
      fi
      settle; t2=$(cpu_ticks "$DAEMON_PID")
      printf '%-50s run %s: %5s MB/s  daemon CPU during dd %5d ms, after %5d ms  load %s%s\n' "${cfg:-(default)}" "$rep" \
        "$mbps" $(( (t1 - t0) * 1000 / hz )) $(( (t2 - t1) * 1000 / hz )) "$(cut -d' ' -f1 /proc/loadavg)" "$calls" \
        | tee -a "$OUT_DIR/ab.txt" >&2
      unmount
    done
  done
  exit 0
fi

# W^X off for the daemon-only run: with it on, JIT code runs from a memfd mapping that perf does not look up in
# perf-<pid>.map, so managed frames stay hex. It makes JIT a little cheaper; run 2 keeps the default.
echo "== 1: daemon only (perf -p)" >&2
mount_fresh DOTNET_EnableWriteXorExecute=0
perf record -F "$FREQ" -g -p "$DAEMON_PID" -o "$SCRATCH/daemon.data" 2> "$SCRATCH/perf1.log" &
PERF_PID=$!; sleep 1
t0=$(cpu_ticks "$DAEMON_PID")
dd if="$SHARD" of=/dev/null bs=1M 2>&1 | tail -1 | tee "$OUT_DIR/dd-daemon.txt" >&2
t1=$(cpu_ticks "$DAEMON_PID")
settle
t2=$(cpu_ticks "$DAEMON_PID")
stop_perf
perf report -i "$SCRATCH/daemon.data" --no-children --sort dso,sym --stdio -g none --percent-limit 0.3 \
  > "$OUT_DIR/daemon-dso-sym.txt" 2>/dev/null
perf report -i "$SCRATCH/daemon.data" --no-children --sort dso --stdio -g none > "$OUT_DIR/daemon-dso.txt" 2>/dev/null
perf report -i "$SCRATCH/daemon.data" --children --sort sym --stdio -g none --percent-limit 2 \
  > "$OUT_DIR/daemon-children.txt" 2>/dev/null
perf report -i "$SCRATCH/daemon.data" --no-children --sort comm --stdio -g none > "$OUT_DIR/daemon-threads.txt" 2>/dev/null
# Who calls the hot symbols (kernel copies above all: which syscall pays for them).
perf report -i "$SCRATCH/daemon.data" --no-children --sort sym --stdio -g caller,0.5,callee,function,percent --percent-limit 3 \
  > "$OUT_DIR/daemon-callers.txt" 2>/dev/null
hz=$(getconf CLK_TCK)
echo "daemon CPU: during dd $(( (t1 - t0) * 1000 / hz )) ms, after dd (background) $(( (t2 - t1) * 1000 / hz )) ms" \
  | tee "$OUT_DIR/daemon-cpu.txt" >&2
unmount

[ -n "${PROFILE_DAEMON_ONLY:-}" ] && exit 0
echo "== 2: whole machine (perf -a)" >&2
mount_fresh ""
perf record -F "$FREQ" -g -a -o "$SCRATCH/all.data" 2> "$SCRATCH/perf2.log" &
PERF_PID=$!; sleep 1
dd if="$SHARD" of=/dev/null bs=1M 2>&1 | tail -1 | tee "$OUT_DIR/dd-all.txt" >&2
settle
stop_perf
perf report -i "$SCRATCH/all.data" --no-children --sort comm,dso --stdio -g none --percent-limit 0.5 \
  > "$OUT_DIR/all-comm-dso.txt" 2>/dev/null
# Samples per process (perf's "pid" sort key is the thread), named from the PID files rgw.sh keeps.
OSD_PID=$(cat "$SCRATCH/rgw/run/osd.pid"); RGW_PID=$(cat "$SCRATCH/rgw/run/rgw.pid" 2>/dev/null || cat "$SCRATCH/rgw/run/radosgw.pid")
perf script -i "$SCRATCH/all.data" -F pid,comm 2>/dev/null | awk -v d="$DAEMON_PID" -v o="$OSD_PID" -v r="$RGW_PID" '
  { n++; p=$NF; c=$0; sub(/[ \t]+[0-9]+$/, "", c); gsub(/^[ \t]+/, "", c)
    k = (p==d) ? "hcpmodelfs daemon" : (p==r) ? "radosgw" : (p==o) ? "ceph-osd" : (p==0) ? "idle" : (c ~ /^dd$/) ? "dd" : (c ~ /^(kworker|ksoftirqd|kswapd|jbd2|rcu)/) ? "kernel threads" : "other" ; s[k]++ }
  END { for (k in s) printf "%6.2f%%  %s\n", 100*s[k]/n, k }' | sort -rn > "$OUT_DIR/all-process.txt"
cat "$OUT_DIR/all-process.txt" >&2
perf report -i "$SCRATCH/all.data" --no-children --sort sym --stdio -g none --percent-limit 0.5 \
  > "$OUT_DIR/all-sym.txt" 2>/dev/null
unmount
echo "reports in $OUT_DIR" >&2
ls "$OUT_DIR" >&2
