#!/usr/bin/env bash
# bench/fuse: sequential 1 MiB reads of a file on tmpfs through our loopback filesystem vs fuse-overlayfs
# (C, libfuse3 low-level API) with only a lower dir. Fresh mount per run (cold FUSE page cache), 3 runs, medians.
# Two settings: the kernel's default readahead (128 KiB READs) and read_ahead_kb raised to 16 MiB on both mounts.
# Usage (root): bench/fuse/run.sh [SIZE_MIB=2048] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=${1:-2048}
runs=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "run as root (mounts tmpfs and FUSE filesystems)" >&2; exit 1; }
command -v fuse-overlayfs >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse-overlayfs >/dev/null; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/HcpModelFs.FuseTestHost -c Release -nologo -v q >/dev/null
host=tests/HcpModelFs.FuseTestHost/bin/Release/net10.0/HcpModelFs.FuseTestHost.dll

work=$(mktemp -d /tmp/hcpfs-bench-XXXXXX)
src=$work/src; mnt=$work/mnt; upper=$work/upper; wd=$work/work
mkdir -p "$src" "$mnt"
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  for m in "$mnt" "$src"; do
    if grep -q " $m " /proc/self/mountinfo; then umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

mount -t tmpfs -o size=$((size_mib + 64))M tmpfs "$src"
head -c $((size_mib * 1048576)) /dev/urandom > "$src/data.bin"
expected=$(sha256sum "$src/data.bin" | cut -d' ' -f1)

bdi_of() { grep " $1 " /proc/self/mountinfo | awk '{print $3}' | tail -1; }

# Prints MB/s of one dd through the mount; checks the bytes once per mount type.
measure() {
  local out bytes secs
  out=$(dd if="$mnt/data.bin" of=/dev/null bs=1M 2>&1 | tail -1)
  bytes=$(echo "$out" | awk '{print $1}')
  secs=$(echo "$out" | sed -E 's/.* copied, ([0-9.]+) s,.*/\1/')
  [ "$bytes" -eq $((size_mib * 1048576)) ] || { echo "short read: $out" >&2; exit 1; }
  awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.0f", b / s / 1e6 }'
}

run_ours() { # $1 = read_ahead_kb or none
  local log=$work/ours.out
  dotnet "$host" loopback "$src" "$mnt" --read-ahead-kb "$1" --stats > "$log" 2> "$work/ours.err" &
  daemon_pid=$!
  for _ in $(seq 300); do grep -q READY "$log" 2>/dev/null && break; sleep 0.1; done
  grep -q READY "$log" || { cat "$work/ours.err" >&2; exit 1; }
  local mbps; mbps=$(measure)
  if [ "$verify_ours" = 1 ]; then
    [ "$(sha256sum "$mnt/data.bin" | cut -d' ' -f1)" = "$expected" ] || { echo "ours: wrong bytes" >&2; exit 1; }
    verify_ours=0
  fi
  kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
  sizes=$(grep READSIZES "$log" | cut -d' ' -f2-)
  echo "$mbps"
}

run_overlay() { # $1 = read_ahead_kb or none
  fuse-overlayfs -o "lowerdir=$src" "$mnt"
  if [ "$1" != none ]; then echo "$1" > "/sys/class/bdi/$(bdi_of "$mnt")/read_ahead_kb"; fi
  local mbps; mbps=$(measure)
  if [ "$verify_overlay" = 1 ]; then
    [ "$(sha256sum "$mnt/data.bin" | cut -d' ' -f1)" = "$expected" ] || { echo "overlay: wrong bytes" >&2; exit 1; }
    verify_overlay=0
  fi
  umount "$mnt"
  echo "$mbps"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

verify_ours=1; verify_overlay=1
# Warm-up, discarded: the first FUSE pass over a freshly written file is slow for whichever filesystem goes first
# (kernel time, measured in the daemon's stime), which biased early results against whoever ran first.
run_ours none >/dev/null; run_overlay none >/dev/null
declare -A results sizes_by
for ra in none 16384; do
  ours=(); overlay=()
  for r in $(seq "$runs"); do
    # Alternate who goes first so neither always follows the other's page-cache teardown.
    if [ $((r % 2)) -eq 1 ]; then
      ours+=("$(run_ours "$ra")"); sizes_by[$ra]=$(grep READSIZES "$work/ours.out" | cut -d' ' -f2-)
      overlay+=("$(run_overlay "$ra")")
    else
      overlay+=("$(run_overlay "$ra")")
      ours+=("$(run_ours "$ra")"); sizes_by[$ra]=$(grep READSIZES "$work/ours.out" | cut -d' ' -f2-)
    fi
  done
  results["ours-$ra"]="${ours[*]}"
  results["overlay-$ra"]="${overlay[*]}"
done

date_tag=$(date -u +%Y%m%dT%H%M%SZ)
json=bench/results/fuse-$date_tag.json
{
  echo "{"
  echo "  \"benchmark\": \"fuse-sequential-read\", \"file_mib\": $size_mib, \"runs\": $runs, \"kernel\": \"$(uname -r)\", \"cpus\": $(nproc),"
  for ra in none 16384; do
    o=$(median ${results[ours-$ra]}); f=$(median ${results[overlay-$ra]})
    echo "  \"read_ahead_$ra\": {\"ours_mbps\": [${results[ours-$ra]// /, }], \"overlay_mbps\": [${results[overlay-$ra]// /, }], \"ours_median\": $o, \"overlay_median\": $f, \"ratio\": $(awk -v a="$o" -v b="$f" 'BEGIN{printf "%.2f", a/b}'), \"ours_read_sizes\": \"${sizes_by[$ra]}\"},"
  done
  echo "  \"done\": true"
  echo "}"
} > "$json"

echo
echo "| read_ahead_kb | ours MB/s (runs) | fuse-overlayfs MB/s (runs) | ours / overlayfs | READ sizes seen by ours (bytes:count) |"
echo "| --- | --- | --- | --- | --- |"
for ra in none 16384; do
  o=$(median ${results[ours-$ra]}); f=$(median ${results[overlay-$ra]})
  label=$([ "$ra" = none ] && echo "128 (default)" || echo "$ra")
  echo "| $label | **$o** (${results[ours-$ra]}) | **$f** (${results[overlay-$ra]}) | $(awk -v a="$o" -v b="$f" 'BEGIN{printf "%.2f", a/b}') | ${sizes_by[$ra]} |"
done
echo
echo "file: ${size_mib} MiB on tmpfs; dd bs=1M; fresh mount per run; results: $json"
