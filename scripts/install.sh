#!/usr/bin/env bash
# Installs what the daemon needs on Debian 12 and publishes it to /opt/hcpmodelfs. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh must run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! dpkg-query -W -f='${Status}' fuse3 2>/dev/null | grep -q "install ok installed"; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends fuse3 >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required to build the daemon (or use the container image, see Dockerfile)." >&2
  exit 1
fi
# Self-contained, one composite ReadyToRun image of app and framework (see HcpModelFs.csproj): no JIT on the read path
# or at the first request. Needs no .NET runtime on the host once published.
dotnet publish src/HcpModelFs/HcpModelFs.csproj -c Release -r linux-x64 --self-contained true -o /opt/hcpmodelfs -nologo -v q
ln -sf /opt/hcpmodelfs/hcpmodelfs /usr/local/bin/hcpmodelfs
install -m 0644 systemd/hcpmodelfs.service /etc/systemd/system/hcpmodelfs.service
[ -f /etc/default/hcpmodelfs ] || install -m 0600 systemd/hcpmodelfs.env.example /etc/default/hcpmodelfs
echo "installed: /usr/local/bin/hcpmodelfs (systemd unit: hcpmodelfs.service, settings: /etc/default/hcpmodelfs)"
