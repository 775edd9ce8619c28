#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine. Run as root. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps.sh must run as root (it installs packages and mounts FUSE filesystems)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
packages=(
  fuse3               # fusermount3, for the unprivileged mount path
  util-linux          # setpriv, to run a daemon as an unprivileged user
  radosgw ceph-mon ceph-osd uuid-runtime   # a real S3 server (Ceph RGW) on 127.0.0.1
  curl ca-certificates
  attr                # getfattr: tests read the user.hcpmodelfs.* attributes of mounted files
  systemd             # systemd-analyze verify, for systemd/hcpmodelfs.service (nothing is started)
  prometheus          # promtool: tests check the daemon's /metrics text (Debian ships promtool only in this package)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# kubectl renders deploy/kubernetes (kubectl kustomize; the overlays need kustomize v5, i.e. kubectl >= 1.27: Debian's
# kubernetes-client is too old). The package comes from the Kubernetes or Google Cloud SDK apt repository.
if ! command -v kubectl >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends kubectl >/dev/null 2>&1 || true
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl (>= 1.27) is required on PATH for the deployment tests (kubectl kustomize)" >&2
  exit 1
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (dotnet on PATH)." >&2
  exit 1
fi

# /dev/fuse must exist; in a container pass it in with --device /dev/fuse.
if [ ! -c /dev/fuse ]; then
  modprobe fuse 2>/dev/null || true
fi
if [ ! -c /dev/fuse ]; then
  echo "/dev/fuse is missing: load the fuse module or pass the device into the container" >&2
  exit 1
fi
# fusermount3 opens /dev/fuse as the calling user. Debian's udev rule makes the device 0666; containers often leave
# it 0600, which breaks every unprivileged mount. Restore the standard mode.
chmod 0666 /dev/fuse

# Real npm clients and validators, pinned in tests/node/package-lock.json: @huggingface/hub (the fake Hub's fidelity,
# our endpoint) and kubernetes-models + yaml (schema validation of the rendered deploy/kubernetes overlays).
# Skipped when node_modules already matches the lock file (npm writes node_modules/.package-lock.json on install).
if [ -f tests/node/package-lock.json ] && ! [ tests/node/node_modules/.package-lock.json -nt tests/node/package-lock.json ]; then
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi
