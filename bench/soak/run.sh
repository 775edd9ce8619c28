#!/usr/bin/env bash
# The soak of issue 13 item 10 (not CI): the real daemon (mount + --serve) over Ceph RGW behind the fault proxy
# (3 % resets mid-body, 2 % 503 SlowDown, 5 % 300 ms latency on data GETs) with a cache smaller than the model,
# and mixed readers in other processes (dd, mmap, find/ls -R, random preads, HTTP /resolve) comparing every byte.
# Writes bench/results/soak-<time>.json (RSS, open fds, threads at start/end and sampled every 5 s, faults fired,
# reader errors) and prints it. Needs root, /dev/fuse and Ceph RGW, as the integration tests do.
#
#   bench/soak/run.sh [SECONDS]        default 600 (10 minutes); exit 0 = no reader error and the daemon stayed flat
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-600}"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "usage: bench/soak/run.sh [SECONDS]" >&2; exit 2; }
# A fresh machine: Ceph RGW, fuse3, attr, node (idempotent; a second run only checks).
scripts/install-test-deps.sh >&2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export HCPMODELFS_SOAK_SECONDS="$seconds"
mkdir -p bench/results
dotnet build tests/HcpModelFs.IntegrationTests/HcpModelFs.IntegrationTests.csproj -c Release -nologo -v q
log="${TMPDIR:-/tmp}/hcpmodelfs-soak-$(date -u +%Y%m%dT%H%M%SZ).log"
set +e
timeout --signal=INT $((seconds + 600)) dotnet test tests/HcpModelFs.IntegrationTests/HcpModelFs.IntegrationTests.csproj \
  -c Release --no-build -nologo --filter "Category=Soak" --logger "console;verbosity=detailed" > "$log" 2>&1
status=$?
set -e
sed -n '/^SOAK RESULTS/,/^}/p' "$log"
grep -E '^ *(Passed|Failed|Skipped) |^Total tests' "$log" || true
echo "log: $log"
exit "$status"
