# syntax=docker/dockerfile:1
# HcpModelFs daemon image: `hcpmodelfs mount /models` in the foreground, as root.
#
# FUSE cannot run unprivileged in a container: mount(2) needs CAP_SYS_ADMIN and the container needs the FUSE device.
#   docker run --device /dev/fuse --cap-add SYS_ADMIN --security-opt apparmor=unconfined \
#     -v /srv/models:/models:rshared -v hcpmodelfs-cache:/var/cache/hcpmodelfs IMAGE
# - AppArmor: Docker's default profile (docker-default) denies mount(2) even with SYS_ADMIN; run unconfined or with a
#   profile that allows `mount fstype=fuse`. SELinux hosts: `--security-opt label=disable` (or a policy for fuse).
# - seccomp: Docker's default profile allows mount/umount2 once CAP_SYS_ADMIN is granted; keep it.
# - `:rshared` makes the mount visible on the host (and to other containers binding that directory); without it only
#   this container sees /models. Kubernetes: privileged + mountPropagation: Bidirectional (deploy/kubernetes/).
# - FUSE passthrough (warm files read by the kernel straight from the cache) needs CAP_SYS_ADMIN in the host's user
#   namespace: a rootless or user-namespaced container falls back to READs (logged once).
# docs/DEPLOYMENT.md has the whole story.

# --- build: restore from the project files only, so a code change does not invalidate the package layer ---
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Directory.Build.props src/
COPY src/HcpModelFs/HcpModelFs.csproj src/HcpModelFs/
COPY src/HcpModelFs.Core/HcpModelFs.Core.csproj src/HcpModelFs.Core/
COPY src/HcpModelFs.Fuse/HcpModelFs.Fuse.csproj src/HcpModelFs.Fuse/
COPY src/HcpModelFs.Http/HcpModelFs.Http.csproj src/HcpModelFs.Http/
COPY src/HcpModelFs.Hub/HcpModelFs.Hub.csproj src/HcpModelFs.Hub/
COPY src/HcpModelFs.Store/HcpModelFs.Store.csproj src/HcpModelFs.Store/
RUN dotnet restore src/HcpModelFs/HcpModelFs.csproj -r linux-x64 -p:SelfContained=true
COPY src/ src/
# As scripts/install.sh: self-contained, one composite ReadyToRun image of app and framework (HcpModelFs.csproj), so
# no JIT on the read path or at the first request.
RUN dotnet publish src/HcpModelFs/HcpModelFs.csproj -c Release -r linux-x64 --self-contained true --no-restore \
    -o /opt/hcpmodelfs -nologo

# --- runtime: only the native dependencies; the publish carries the runtime, ASP.NET Core (Kestrel: the Hub endpoint
# and /metrics) included ---
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
# fuse3: fusermount3, for the preStop/ExecStopPost-style unmount of a dead mount (`fusermount3 -u -z /models`);
# curl: the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fuse3 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/hcpmodelfs /opt/hcpmodelfs
ENV MODEL_CACHE_DIR=/var/cache/hcpmodelfs
VOLUME ["/var/cache/hcpmodelfs"]
# /healthz: the daemon is alive (/readyz would also need the store, which a healthy daemon may be waiting for).
# The endpoint listens on 127.0.0.1:9464 unless HCPMODELFS_METRICS_LISTEN says otherwise; loopback is what this
# check reaches, so keep port 9464 if you move it (e.g. to 0.0.0.0:9464), and do not set it to `off`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9464/healthz"]
# SIGTERM unmounts cleanly (give it `docker stop -t 30`: draining readers may take ~15 s with a hung store).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/hcpmodelfs/hcpmodelfs"]
CMD ["mount", "/models"]
