#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test. Run as root on Debian 12: `scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

scripts/install-test-deps.sh

dotnet build HcpModelFs.sln -c Release -nologo -v q

# Scenario rows for docs/RELIABILITY.md come from this run only.
rm -f TestResults/reliability.jsonl

# One test assembly at a time: mount and store tests share two cores and the kernel.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test HcpModelFs.sln -c Release --no-build -nologo -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

passed=$(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Passed: *([0-9]+).*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+),.*/\1/' | awk '{s+=$1} END {print s+0}')

# The benchmark still runs end to end (RGW, upload, our mount, RAW, DISK, s3fs; bytes checked). Not a measurement:
# 64 MiB, one round. Counted as one more test.
smoke_log=$(mktemp)
if bench/run --smoke > "$smoke_log" 2>&1; then
  echo "bench/run --smoke: ok ($(tail -1 "$smoke_log"))"
  passed=$((passed + 1))
else
  echo "bench/run --smoke FAILED:" >&2
  tail -40 "$smoke_log" >&2
  failed=$((failed + 1))
  status=1
fi
rm -f "$smoke_log"
# No secret of the run in the suite's own log or anything the tests wrote (each process output is checked as it ends).
if ! scripts/scan-secrets.sh "$log" TestResults >&2; then
  failed=$((failed + 1))
  status=1
fi
if [[ -s TestResults/reliability.jsonl ]]; then
  echo "reliability scenarios (docs/RELIABILITY.md):"
  scripts/reliability-table.sh || true
fi
echo "tests: ${passed} passed, ${failed} failed"

# Any mount a test left behind would break the next run: say so loudly.
if awk '$3 ~ /^fuse/' /proc/mounts | grep -q hcpfs; then
  echo "FUSE mounts left behind by the tests:" >&2
  awk '$3 ~ /^fuse/' /proc/mounts >&2
  exit 1
fi
exit "$status"
