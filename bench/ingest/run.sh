#!/usr/bin/env bash
# bench/ingest: design.md §9 rows 10 and 11 and issue 14's ingest targets, numerators and denominators in ONE run.
#   RAW_HUB   = ranged GETs of 8 MiB, 8 in flight, of the model's shard from the fake Hub into memory (HttpModelHub)
#   RAW_STORE = multipart upload of the same size, 8 MiB parts, 8 in flight, from memory into the same RGW
#   row 11    = `hcpmodelfs prefetch bench/big-model` (fresh prefix and cache per run) under /usr/bin/time: model bytes /
#               wall seconds, ratio to min(RAW_HUB, RAW_STORE) >= 0.8; Hub bytes / model (<= 1.01); the process's
#               CPU s/GiB (utime + stime) and peak RSS (<= 512 MiB)
#   row 11L   = row 11 with the Hub link capped (tc: an HTB class on lo for packets from the CDN address, INGEST_HUB_LINK_MBIT,
#               default 800; 0 skips it), against RAW_HUB_L = RAW_HUB under the same cap, measured before each run
#   every prefetch and raw also records the machine's busy CPU-seconds (all cores, /proc/stat)
#   row 10    = fresh `hcpmodelfs mount`, model missing from the store: `dd bs=4k count=1` of the shard (lookup from
#               Hub metadata included), <= 2 s; the store must not have the manifest at that moment
#   row 11m   = fresh mount, model missing, 4 `dd bs=1M` of the whole shard started together while the ingest the first
#               open started runs: Hub bytes / model (<= 1.01), every reader's sha256, the daemon's CPU s/GiB and peak
#               RSS (VmHWM, <= 512 MiB), time until the manifest is in the store
#   row 14n   = N = 2 and 4 daemons (own caches and mount points, one fresh HCP_PREFIX per N and run), all mounted
#               first, then one reader per node at once (4 KiB dd, then the whole model): Hub bytes / model (<= 1.2),
#               sha256 per node, worst first byte (<= 2 s)
# The fake Hub (API 127.0.0.1, CDN 127.0.0.2) runs in bench/ingest/IngestBench, which measures the raws first and then
# serves the Hub until this script is done; Hub bytes are its FileBytesSent (resolve and CDN bodies). Ceph RGW with a
# bluestore OSD on a sparse file. Medians of RUNS. Writes bench/results/ingest-<UTC>.json and .md and prints the table.
# Usage (root): bench/ingest/run.sh [SIZE_MIB=1024] [RUNS=3]
# Environment: HCPMODELFS_BIN=path runs that binary (else a ReadyToRun publish into the scratch dir, as bench/run);
# INGEST_ROWS="11 11L" runs only those rows (of 11 11L 10 11m 14n; default all; the raws are always measured);
# HCPMODELFS_BIN_B=path also runs rows 11 and 11L with that binary, interleaved with the first (order swapped every
# run), for an A/B of two builds in one run (rows "11 B" and "11L B");
# INGEST_FOLLOW_WAIT=seconds sets HCPMODELFS_INGEST_FOLLOW_WAIT for the daemons of row 14n (a holder slower than the
# wait, on a machine where it is fast: the regime where a follower's wait runs out);
# no other HCP_*/HCPMODELFS_*/HF_*/S3_* setting of the caller reaches the daemons.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/ingest"
SIZE_MIB=${1:-1024}
RUNS=${2:-3}
[[ "$SIZE_MIB" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] || { sed -n '2,24p' "$0" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (mounts)" >&2; exit 1; }
# A fresh machine: Ceph RGW, fuse3, attr, node (idempotent; a second run only checks).
"$ROOT/scripts/install-test-deps.sh" >&2
STARTED=$(date -u +%Y%m%dT%H%M%SZ)
T_START=$(date +%s)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 LC_ALL=C
BIN_FROM_ENV=${HCPMODELFS_BIN:-}
BIN_B=${HCPMODELFS_BIN_B:-}
FOLLOW_WAIT=${INGEST_FOLLOW_WAIT:-}
[ -z "$FOLLOW_WAIT" ] || [[ "$FOLLOW_WAIT" =~ ^[0-9]+$ ]] || { echo "INGEST_FOLLOW_WAIT=$FOLLOW_WAIT is not a number of seconds" >&2; exit 2; }
[ -z "$BIN_B" ] || [ -x "$BIN_B" ] || { echo "HCPMODELFS_BIN_B=$BIN_B is not an executable" >&2; exit 2; }
# Only our settings reach the daemon: no HCP_*/S3_*/HF_* from the caller's environment, no ./.env (cwd is SCRATCH).
unset $(compgen -e | grep -E '^(HCP_|HCPMODELFS_|HF_|S3_|MODEL_CACHE_|AWS_)') 2>/dev/null || true
SCRATCH=$(mktemp -d /tmp/hcpfs-ibench-XXXXXX)
CTL=$SCRATCH/ctl; mkdir -p "$CTL" "$SCRATCH/hf" "$SCRATCH/logs"
SAMPLES=$SCRATCH/samples.tsv; : > "$SAMPLES"
DAEMON_PIDS=() MOUNTS=() READER_PIDS=() TOOL_PID="" PREFETCH_PID=""

alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null; }
stop_pid() { # pid [seconds]: TERM, bounded wait, then KILL
  local pid=$1 secs=${2:-30} i
  [ -n "$pid" ] || return 0
  alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do alive "$pid" || break; sleep 0.1; done
  alive "$pid" && { echo "pid $pid ignored SIGTERM for ${secs}s: SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || true
}
children() { cat /proc/"$1"/task/*/children 2>/dev/null || true; }
is_mounted() { awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }
unmount_dir() { is_mounted "$1" && { umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null || true; }; return 0; }
stop_daemons() { # every daemon stopped (TERM, then KILL), every mount gone
  local i
  for i in "${!DAEMON_PIDS[@]}"; do kill -TERM "${DAEMON_PIDS[$i]}" 2>/dev/null || true; done
  for i in "${!DAEMON_PIDS[@]}"; do stop_pid "${DAEMON_PIDS[$i]}" 60; done
  for i in "${!MOUNTS[@]}"; do unmount_dir "${MOUNTS[$i]}"; done
  DAEMON_PIDS=() MOUNTS=()
}
stop_readers() { local p; for p in "${READER_PIDS[@]}"; do stop_pid "$p" 10; done; READER_PIDS=(); }
cleanup() {
  local rc=$? p
  set +e
  link_uncap
  if [ -n "$PREFETCH_PID" ]; then  # /usr/bin/time's child first: TERM to time would leave it running
    for p in $(children "$PREFETCH_PID"); do stop_pid "$p" 30; done
    stop_pid "$PREFETCH_PID" 10; PREFETCH_PID=""
  fi
  for p in "${READER_PIDS[@]}"; do kill -TERM "$p" $(children "$p") 2>/dev/null; done
  stop_daemons
  stop_readers
  if [ -n "$TOOL_PID" ]; then
    touch "$CTL/stop"
    for _ in $(seq 100); do alive "$TOOL_PID" || break; sleep 0.1; done
    stop_pid "$TOOL_PID" 10; TOOL_PID=""
  fi
  "$ROOT/scripts/rgw.sh" stop "$SCRATCH/rgw" >/dev/null 2>&1
  if [ "$rc" -ne 0 ]; then
    echo "bench/ingest: exit $rc; last lines of the non-empty logs:" >&2
    for p in "$SCRATCH"/logs/*.log; do [ -s "$p" ] && { echo "--- $(basename "$p")" >&2; tail -n 10 "$p" >&2; }; done
  fi
  if awk -v s="$SCRATCH/" 'index($5, s) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    echo "bench/ingest: a mount under $SCRATCH is still there; kept the directory" >&2
  else
    rm -rf "$SCRATCH"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench/ingest: FAILED: $*" >&2; exit 1; }
# Row 11L's Hub link: an HTB class on lo for the packets the fake Hub's CDN (127.0.0.2) sends, capped at LINK_MBIT;
# every other loopback packet (RGW, the Hub API) is unclassified and passes unshaped. Removed on every exit path.
LINK_MBIT=${INGEST_HUB_LINK_MBIT:-800}
LINK_SET=0
link_cap() {
  tc qdisc show dev lo | grep -q '^qdisc noqueue' || die "lo has a qdisc already ($(tc qdisc show dev lo | head -n 1)): not ours, left alone; INGEST_HUB_LINK_MBIT=0 skips row 11L"
  tc qdisc add dev lo root handle 1: htb
  LINK_SET=1
  tc class add dev lo parent 1: classid 1:20 htb rate "${LINK_MBIT}mbit" ceil "${LINK_MBIT}mbit" burst 4mb cburst 4mb
  tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip src 127.0.0.2/32 flowid 1:20
}
link_uncap() { [ "$LINK_SET" = 1 ] || return 0; tc qdisc del dev lo root 2>/dev/null || true; LINK_SET=0; }
log() { echo "[$(date -u +%T)] $*" >&2; }
ROWS=" ${INGEST_ROWS:-11 11L 10 11m 14n} "
for w in $ROWS; do [[ " 11 11L 10 11m 14n " == *" $w "* ]] || die "INGEST_ROWS: unknown row $w (rows: 11 11L 10 11m 14n)"; done
want() { [[ "$ROWS" == *" $1 "* ]]; }

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
wait_pids() { # wait_pids <seconds> PID...: every PID exited in time (their exit codes are not looked at)
  local secs=$1 i p left; shift
  for ((i = 0; i < secs * 10; i++)); do
    left=0; for p in "$@"; do alive "$p" && left=1; done
    (( left )) || { for p in "$@"; do wait "$p" 2>/dev/null || true; done; return 0; }
    sleep 0.1
  done
  die "readers still running after $secs s"
}
ns_now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$SAMPLES"; }  # rec RUN METRIC VALUE
snap() { # snap <name>: the Hub's request counters now, into $CTL/<name>.json
  touch "$CTL/snap-$1"; wait_file 10 "$CTL/$1.json" "$TOOL_PID"
}
hub_bytes() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['file_bytes'])" "$CTL/$1.json"; }
hub_since() { echo $(( $(hub_bytes "$2") - $(hub_bytes "$1") )); }  # hub_since BEFORE AFTER
has_manifest() { # has_manifest <prefix>: HEAD of the revision's manifest (200 yes, 404 no, anything else fails)
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' -I -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" \
    "$S3_ENDPOINT/$S3_BUCKET/${1}bench/big-model/$COMMIT/.hcpmodelfs/manifest.json")
  case "$code" in 200) return 0 ;; 404) return 1 ;; *) die "HEAD of the manifest: HTTP $code" ;; esac
}
wait_manifest() { # wait_manifest <prefix> <t0 ns> [seconds=600]: seconds from t0 until the manifest is in the store
  local i
  for ((i = 0; i < ${3:-600} * 10; i++)); do
    has_manifest "$1" && { secs "$2" "$(ns_now)"; return 0; }
    sleep 0.1
  done
  die "no manifest under $1 after ${3:-600} s"
}
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime in clock ticks
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }  # every core, not idle/iowait
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
# settle PID: waits (bounded, 30 s) until the process stops using CPU, so the ingest's tail (lease release) counts.
settle() { local last="" t; for _ in $(seq 100); do t=$(ticks "$1"); [ "$t" = "$last" ] && return 0; last=$t; sleep 0.3; done; }
READ_BOUND=$(( 300 + SIZE_MIB ))   # seconds any whole-model read may take: >= 1 MiB/s on a loaded machine

# ---- binaries: one hcpmodelfs for every row
if [ -n "$BIN_FROM_ENV" ]; then
  HCPFS=$BIN_FROM_ENV
else
  log "publishing hcpmodelfs (ReadyToRun) into the scratch dir"
  # --artifacts-path keeps the RID-specific obj/ out of the tree, so `dotnet build HcpModelFs.sln` is unaffected.
  dotnet publish "$ROOT/src/HcpModelFs/HcpModelFs.csproj" -c Release -r linux-x64 --self-contained true \
    -p:PublishReadyToRun=true --artifacts-path "$SCRATCH/artifacts" -o "$SCRATCH/publish" -nologo -v q >&2
  HCPFS=$SCRATCH/publish/hcpmodelfs
fi
[ -x "$HCPFS" ] || die "no hcpmodelfs binary at $HCPFS"
log "building IngestBench"
dotnet build -c Release -nologo -v q "$HERE/IngestBench/IngestBench.csproj" >&2
TOOL_DLL="$HERE/IngestBench/bin/Release/net10.0/HcpModelFs.IngestBench.dll"
LOAD_START=$(uptime)

log "RGW (bluestore on a sparse file)"
mkdir -p "$SCRATCH/rgw"
# Every run of every row leaves its model in the store (RGW frees deleted data hours later): 8 models per run, 10 with
# HCPMODELFS_BIN_B (rows 11 B, 11L B), plus the raws' 2 objects per run and the warm-up, and a quarter more, since a
# bluestore OSD near full slows down and a full one stops answering writes (the readers then see EIO).
MODELS_PER_RUN=$(( ${#BIN_B} > 0 ? 10 : 8 ))
"$ROOT/scripts/rgw.sh" start "$SCRATCH/rgw" --bluestore $(( SIZE_MIB * (RUNS * (MODELS_PER_RUN + 2) + 1) * 5 / 4 / 1024 + 2 ))G --watch-pid $$ >/dev/null
set -a; . "$SCRATCH/rgw/rgw.env"; set +a
export S3_BUCKET=bench HCPMODELFS_LOG_FORMAT=text HCPMODELFS_LOG_LEVEL=Warning HF_HOME=$SCRATCH/hf \
  HCPMODELFS_METRICS_LISTEN=off HCPMODELFS_INGEST_POLL_INTERVAL=0.5

log "fake Hub + RAW_HUB / RAW_STORE / PIPE (IngestBench)"
RAW_JSON=$SCRATCH/raw.json
( cd "$SCRATCH" && exec dotnet "$TOOL_DLL" --env "$SCRATCH/rgw/rgw.env" --bucket "$S3_BUCKET" --size-mib "$SIZE_MIB" \
    --runs "$RUNS" --out "$RAW_JSON" --ctl-dir "$CTL" --watch-pid $$ --max-seconds 14400 ) 2> "$SCRATCH/logs/ingestbench.log" &
TOOL_PID=$!
wait_file 300 "$CTL/hub.uri" "$TOOL_PID"
export HF_ENDPOINT; HF_ENDPOINT=$(cat "$CTL/hub.uri")
wait_file 3600 "$CTL/ready" "$TOOL_PID"
sed -n '/^Ingest denominators/,$p' "$SCRATCH/logs/ingestbench.log" >&2
MODEL_BYTES=$(( (SIZE_MIB << 20) + 2 ))   # the shard + config.json ("{}")
SHA=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['shard_sha256'])" "$RAW_JSON")
COMMIT=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['commit'])" "$RAW_JSON")
CONFIG_SHA=$(printf '{}' | sha256sum | cut -d' ' -f1)
SHARD_REL=bench/big-model/model.safetensors

# ---- daemons: start_daemon NAME PREFIX [FOLLOW_WAIT] mounts $SCRATCH/mnt-NAME with the fresh cache $SCRATCH/cache-NAME
start_daemon() {
  local mnt=$SCRATCH/mnt-$1
  mkdir -p "$mnt" "$SCRATCH/cache-$1"
  ( cd "$SCRATCH" || exit 1
    if [ -n "${3:-}" ]; then export HCPMODELFS_INGEST_FOLLOW_WAIT="$3"; fi
    HCP_PREFIX="$2" MODEL_CACHE_DIR="$SCRATCH/cache-$1" exec "$HCPFS" mount "$mnt" ) \
    > /dev/null 2> "$SCRATCH/logs/daemon-$1.log" &
  DAEMON_PIDS+=($!) MOUNTS+=("$mnt")
}
wait_mounts() { # every started daemon's mount is in /proc/self/mountinfo (bounded, 60 s)
  local i k up
  for ((k = 0; k < 600; k++)); do
    up=0
    for i in "${!MOUNTS[@]}"; do
      is_mounted "${MOUNTS[$i]}" && { up=$(( up + 1 )); continue; }
      alive "${DAEMON_PIDS[$i]}" || die "the daemon for ${MOUNTS[$i]} exited before mounting"
    done
    (( up == ${#MOUNTS[@]} )) && return 0
    sleep 0.1
  done
  die "mounts did not appear within 60 s"
}
unmount_all() { # stop_daemons, and fail if a mount outlived its daemon
  local m; local -a was=("${MOUNTS[@]}")
  stop_daemons
  for m in "${was[@]}"; do is_mounted "$m" && die "$m still mounted after its daemon exited"; done
  return 0
}

# run_prefetch NAME PREFIX [BIN]: one `hcpmodelfs prefetch` of the model (fresh prefix and cache) under GNU time; records
# NAME_s, NAME_mb_s, NAME_hub_bytes, NAME_cpu_s (the process), NAME_machine_cpu_s (every core, /proc/stat), NAME_rss_kib
run_prefetch() {
  local name=$1 prefix=$2 bin=${3:-$HCPFS} rc t0 t1 b0 b1 s user sys maxrss
  snap "$name-$r-before"
  b0=$(busy_ticks)
  ( cd "$SCRATCH" && HCP_PREFIX="$prefix" MODEL_CACHE_DIR="$SCRATCH/cache-$name-$r" \
      exec /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/$name-$r.time" "$bin" prefetch bench/big-model ) \
    > "$SCRATCH/logs/$name-$r.out" 2> "$SCRATCH/logs/$name-$r.log" &
  PREFETCH_PID=$!
  t0=$(ns_now); rc=0; wait "$PREFETCH_PID" || rc=$?; t1=$(ns_now); PREFETCH_PID=""
  b1=$(busy_ticks)
  [ "$rc" = 0 ] || { cat "$SCRATCH/logs/$name-$r.log" >&2; die "prefetch exited $rc"; }
  has_manifest "$prefix" || die "prefetch exited 0 but there is no manifest"
  snap "$name-$r-after"
  read -r _ user sys maxrss < "$SCRATCH/$name-$r.time"
  s=$(secs "$t0" "$t1")
  rec "$r" "${name}_s" "$s"
  rec "$r" "${name}_mb_s" "$(awk -v b="$MODEL_BYTES" -v s="$s" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
  rec "$r" "${name}_hub_bytes" "$(hub_since "$name-$r-before" "$name-$r-after")"
  rec "$r" "${name}_cpu_s" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
  rec "$r" "${name}_machine_cpu_s" "$(awk -v a="$b0" -v b="$b1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')"
  rec "$r" "${name}_rss_kib" "$maxrss"
  log "   $s s, Hub bytes $(hub_since "$name-$r-before" "$name-$r-after"), CPU ${user}+${sys} s, machine $(( (b1 - b0) / HZ )) CPU-s, max RSS $maxrss KiB"
  rm -rf "$SCRATCH/cache-$name-$r"
}

# run_ab NAME PREFIX: run_prefetch with the binary, and with HCPMODELFS_BIN_B (as NAMEb, prefix with b) when it is set,
# which goes first in even runs
run_ab() {
  if [ -z "$BIN_B" ]; then run_prefetch "$1" "$2"; return; fi
  if (( r % 2 )); then run_prefetch "$1" "$2"; run_prefetch "${1}b" "b$2" "$BIN_B"
  else run_prefetch "${1}b" "b$2" "$BIN_B"; run_prefetch "$1" "$2"; fi
}

# ---- row 11: prefetch, fresh prefix and cache each run, under GNU time
want 11 && for r in $(seq "$RUNS"); do
  log "row 11 run $r: hcpmodelfs prefetch"
  run_ab prefetch "ingest-p$r/"
done
# Fixed cost of one prefetch process (start-up, store probe, resolve) on a model that is already stored.
if want 11; then
t0=$(ns_now)
( cd "$SCRATCH" && HCP_PREFIX="ingest-p1/" MODEL_CACHE_DIR="$SCRATCH/cache-p1" \
    exec /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/prefetch-stored.time" "$HCPFS" prefetch bench/big-model ) \
  > /dev/null 2> "$SCRATCH/logs/prefetch-stored.log" || die "prefetch of the stored model failed"
rec 0 prefetch_stored_s "$(secs "$t0" "$(ns_now)")"
read -r _ user sys _ < "$SCRATCH/prefetch-stored.time"
rec 0 prefetch_stored_cpu_s "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
rm -rf "$SCRATCH/cache-p1"
fi

# ---- row 11L: the same prefetch with the Hub link capped (tc), the regime of a real node: the Hub is far away and the
# link, not the machine's CPU, is the slower side. RAW_HUB is measured again under the same cap, each run just before.
if [ "$LINK_MBIT" != 0 ] && want 11L; then
  command -v tc >/dev/null || die "tc (iproute2) is needed for row 11L; INGEST_HUB_LINK_MBIT=0 skips it"
  link_cap
  for r in $(seq "$RUNS"); do
    log "row 11L run $r: RAW_HUB and prefetch, Hub link capped at $LINK_MBIT Mbit/s"
    touch "$CTL/rawhub-L$r"; wait_file 900 "$CTL/L$r.json" "$TOOL_PID"
    rec "$r" rawhub_l_mb_s "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['mb_s'])" "$CTL/L$r.json")"
    run_ab prefetch_l "ingest-l$r/"
  done
  link_uncap
fi

# ---- row 10: fresh mount, model missing from the store, first 4 KiB of the shard
want 10 && for r in $(seq "$RUNS"); do
  log "row 10 run $r: first byte of a missing model"
  has_manifest "ingest-m$r/" && die "ingest-m$r/ already has a manifest"
  start_daemon "m$r" "ingest-m$r/"; wait_mounts
  mnt=${MOUNTS[0]}
  snap "m$r-before"
  t0=$(ns_now)
  dd if="$mnt/$SHARD_REL" bs=4k count=1 of=/dev/null status=none
  t1=$(ns_now)
  if has_manifest "ingest-m$r/"; then rec "$r" first_manifest_already 1; else rec "$r" first_manifest_already 0; fi
  snap "m$r-first"
  rec "$r" first_s "$(secs "$t0" "$t1")"
  rec "$r" first_hub_bytes "$(hub_since "m$r-before" "m$r-first")"
  rec "$r" first_cache_bytes "$(du -s --block-size=1 "$SCRATCH/cache-m$r" | cut -f1)"  # allocated (sparse files)
  c=$(wait_manifest "ingest-m$r/" "$t0"); rec "$r" first_commit_s "$c"   # the ingest the open started
  if [ "$r" = 1 ]; then
    got=$(sha256sum "$mnt/$SHARD_REL" | cut -d' ' -f1)
    [ "$got" = "$SHA" ] || die "wrong bytes through the mount: sha256 $got, expected $SHA"
  fi
  snap "m$r-end"
  rec "$r" first_mount_hub_bytes "$(hub_since "m$r-before" "m$r-end")"
  log "   first byte $(secs "$t0" "$t1") s; Hub bytes in this mount $(hub_since "m$r-before" "m$r-end")"
  unmount_all; rm -rf "$SCRATCH/cache-m$r"
done

# ---- row 11m: mount-driven ingest with 4 readers of the whole shard during it
want 11m && for r in $(seq "$RUNS"); do
  log "row 11m run $r: 4 readers of the missing shard on a fresh mount"
  start_daemon "r$r" "ingest-r$r/"; wait_mounts
  mnt=${MOUNTS[0]} pid=${DAEMON_PIDS[0]}
  snap "r$r-before"
  c0=$(ticks "$pid"); t0=$(ns_now)
  for k in 1 2 3 4; do
    ( dd if="$mnt/$SHARD_REL" bs=1M status=none | sha256sum | cut -d' ' -f1 > "$SCRATCH/r$r-$k.sha" ) &
    READER_PIDS+=($!)
  done
  wait_pids "$READ_BOUND" "${READER_PIDS[@]}"; READER_PIDS=()
  rec "$r" readers4_read_s "$(secs "$t0" "$(ns_now)")"
  c=$(wait_manifest "ingest-r$r/" "$t0"); rec "$r" readers4_commit_s "$c"
  settle "$pid"
  c1=$(ticks "$pid")
  rec "$r" readers4_cpu_s "$(awk -v t=$(( c1 - c0 )) -v hz="$HZ" 'BEGIN { print t / hz }')"
  rec "$r" readers4_rss_kib "$(hwm_kib "$pid")"
  snap "r$r-after"
  rec "$r" readers4_hub_bytes "$(hub_since "r$r-before" "r$r-after")"
  ok=0
  for k in 1 2 3 4; do [ "$(cat "$SCRATCH/r$r-$k.sha" 2>/dev/null)" = "$SHA" ] && ok=$(( ok + 1 )); done
  rec "$r" readers4_sha_ok "$ok"
  log "   Hub bytes $(hub_since "r$r-before" "r$r-after"), readers right $ok of 4"
  unmount_all; rm -rf "$SCRATCH/cache-r$r"
  (( ok == 4 )) || die "row 11m run $r: $(( 4 - ok )) of 4 readers got wrong bytes"
done

# ---- row 14n: N nodes, one new model, every node reading it at once
# node_read MNT OUT: 4 KiB first (its seconds), then the whole shard and config.json (their sha256), one line each
node_read() {
  local t0 t1
  t0=$(ns_now); dd if="$1/$SHARD_REL" bs=4k count=1 of=/dev/null status=none; t1=$(ns_now)
  { secs "$t0" "$t1"; echo
    dd if="$1/$SHARD_REL" bs=1M status=none | sha256sum | cut -d' ' -f1
    sha256sum < "$1/bench/big-model/config.json" | cut -d' ' -f1; } > "$2"
}
want 14n && for n in 2 4; do
  for r in $(seq "$RUNS"); do
    log "row 14n N=$n run $r: $n daemons, one missing model, one reader per node"
    for i in $(seq "$n"); do start_daemon "n$n-r$r-$i" "ingest-n$n-r$r/" "$FOLLOW_WAIT"; done
    wait_mounts
    snap "n$n-r$r-before"
    t0=$(ns_now)
    for i in $(seq "$n"); do node_read "${MOUNTS[$(( i - 1 ))]}" "$SCRATCH/n$n-r$r-$i.out" & READER_PIDS+=($!); done
    wait_pids "$READ_BOUND" "${READER_PIDS[@]}"; READER_PIDS=()
    rec "$r" "nodes${n}_read_s" "$(secs "$t0" "$(ns_now)")"
    c=$(wait_manifest "ingest-n$n-r$r/" "$t0"); rec "$r" "nodes${n}_commit_s" "$c"
    snap "n$n-r$r-after"
    rec "$r" "nodes${n}_hub_bytes" "$(hub_since "n$n-r$r-before" "n$n-r$r-after")"
    ok=0 worst=0
    for i in $(seq "$n"); do
      f=$SCRATCH/n$n-r$r-$i.out
      first=$(sed -n 1p "$f" 2>/dev/null); first=${first:-999}
      rec "$r" "nodes${n}_first_s_node$i" "$first"
      worst=$(awk -v a="$worst" -v b="$first" 'BEGIN { print (b > a) ? b : a }')
      [ "$(sed -n 2p "$f" 2>/dev/null)" = "$SHA" ] && [ "$(sed -n 3p "$f" 2>/dev/null)" = "$CONFIG_SHA" ] && ok=$(( ok + 1 ))
    done
    rec "$r" "nodes${n}_first_worst_s" "$worst"
    rec "$r" "nodes${n}_sha_ok" "$ok"
    log "   Hub bytes $(hub_since "n$n-r$r-before" "n$n-r$r-after"), nodes right $ok of $n, worst first byte $worst s"
    unmount_all
    for i in $(seq "$n"); do rm -rf "$SCRATCH/cache-n$n-r$r-$i"; done
    (( ok == n )) || die "row 14n N=$n run $r: $(( n - ok )) of $n nodes got wrong bytes"
  done
done
LOAD_END=$(uptime)
T_END=$(date +%s)

# ---- machine facts, report
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/ingest-$STARTED
F_CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo) F_LOAD0=$LOAD_START F_LOAD1=$LOAD_END \
  python3 - "$SCRATCH/facts.json" "$RAW_JSON" <<EOF
import json, os, sys
json.dump({
  "started_utc": "$STARTED", "shard_mib": $SIZE_MIB, "model_bytes": $MODEL_BYTES, "runs": $RUNS,
  "kernel": os.uname().release, "cores": os.cpu_count(), "cpu_model": os.environ["F_CPU"],
  "memory_gib": round($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1048576, 1),
  "uptime_start": os.environ["F_LOAD0"].strip(), "uptime_end": os.environ["F_LOAD1"].strip(),
  "daemon_bin": "$HCPFS", "daemon_bin_b": "$BIN_B", "git_head": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "daemon_env": {"HCPMODELFS_INGEST_POLL_INTERVAL": "0.5", "HCPMODELFS_METRICS_LISTEN": "off",
                 "HCPMODELFS_INGEST_FOLLOW_WAIT": "${FOLLOW_WAIT:-(default)}"},
  "sha256": "$SHA", "commit": "$COMMIT", "seconds": $(( T_END - T_START )), "hub_link_mbit": $LINK_MBIT,
  "raw": json.load(open(sys.argv[2])),
}, open(sys.argv[1], "w"), indent=1)
EOF
python3 "$HERE/report.py" "$SAMPLES" "$SCRATCH/facts.json" "$OUT.json" "$OUT.md"
echo
echo "results: $OUT.json, $OUT.md ($(( T_END - T_START )) s)"
