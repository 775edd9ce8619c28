#!/usr/bin/env bash
# Scans test logs for the test run's secrets: the RGW keys scripts/rgw.sh creates and the fake Hub tokens of
# tests/HcpModelFs.Testing/Hub/ContractCatalog.cs. Usage: scripts/scan-secrets.sh FILE|DIR...
# Prints "FILE: <label>" per hit (never the secret) and exits 1 on any hit, 0 when clean, 2 on bad usage.
# The same secrets are checked in every process output by tests/HcpModelFs.Testing/Secrets/SecretScanner.cs.
set -euo pipefail
cd "$(dirname "$0")/.."
(( $# > 0 )) || { echo "usage: scripts/scan-secrets.sh FILE|DIR..." >&2; exit 2; }

declare -A secrets=()
secrets["$(sed -n 's/^ACCESS_KEY="\(.*\)"$/\1/p' scripts/rgw.sh)"]="the RGW access key"
secrets["$(sed -n 's/^SECRET_KEY="\(.*\)"$/\1/p' scripts/rgw.sh)"]="the RGW secret key"
while read -r token; do
  secrets["$token"]="a fake Hub token"
done < <(grep -o '"hf_[A-Za-z0-9]*"' tests/HcpModelFs.Testing/Hub/ContractCatalog.cs | tr -d '"')

hits=0
for secret in "${!secrets[@]}"; do
  [[ ${#secret} -ge 8 ]] || { echo "scan-secrets: could not read the secrets (got '${secret:0:3}...')" >&2; exit 2; }
  while IFS= read -r file; do
    echo "$file: ${secrets[$secret]}"
    hits=$((hits + 1))
  done < <(grep -rlF -- "$secret" "$@" 2>/dev/null || true)
done
if (( hits > 0 )); then
  echo "scan-secrets: $hits hit(s)" >&2
  exit 1
fi
echo "scan-secrets: no known secret in $*"
