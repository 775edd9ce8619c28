#!/usr/bin/env bash
# Prints the scenario rows the tests recorded (TestResults/reliability.jsonl, or the file given) as the markdown table
# of docs/RELIABILITY.md. Where a scenario ran more than once (several test cases), the rows are summed and the worst
# time kept.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-${HCPMODELFS_RELIABILITY_OUT:-TestResults/reliability.jsonl}}
if [[ ! -s $file ]]; then
  echo "reliability-table: no rows in $file (run the tests first)" >&2
  exit 1
fi
echo "| scenario | what | iterations | faults injected | bytes verified | failures | worst time to error | note |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
jq -rs '
  group_by(.scenario)[] |
  { scenario: .[0].scenario, description: .[0].description,
    iterations: (map(.iterations) | add), faults: (map(.faults_injected) | add),
    bytes: (map(.bytes_verified) | add), failures: (map(.failures) | add),
    worst: (map(.worst_time_to_error_ms // empty) | max),
    note: (map(.note // empty) | unique | join("; ")) } |
  "| \(.scenario) | \(.description) | \(.iterations) | \(.faults) | \(.bytes) | \(.failures) | \(if .worst == null then "-" else "\(.worst) ms" end) | \(.note) |"
' "$file" | sort -V
