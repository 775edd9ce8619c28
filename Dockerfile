# syntax=docker/dockerfile:1
# HcpModelFs daemon image. Run with: --device /dev/fuse --cap-add SYS_ADMIN (mount(2) needs it; see deploy/).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so code changes do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Directory.Build.props src/
COPY src/HcpModelFs/HcpModelFs.csproj src/HcpModelFs/
COPY src/HcpModelFs.Core/HcpModelFs.Core.csproj src/HcpModelFs.Core/
COPY src/HcpModelFs.Fuse/HcpModelFs.Fuse.csproj src/HcpModelFs.Fuse/
COPY src/HcpModelFs.Hub/HcpModelFs.Hub.csproj src/HcpModelFs.Hub/
COPY src/HcpModelFs.Store/HcpModelFs.Store.csproj src/HcpModelFs.Store/
RUN dotnet restore src/HcpModelFs/HcpModelFs.csproj -r linux-x64
COPY src/ src/
RUN dotnet publish src/HcpModelFs/HcpModelFs.csproj -c Release -r linux-x64 --self-contained false --no-restore -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
RUN apt-get update && apt-get install -y --no-install-recommends fuse3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /opt/hcpmodelfs
ENV MODEL_CACHE_DIR=/var/cache/hcpmodelfs
VOLUME ["/var/cache/hcpmodelfs"]
# JSON log lines when not on a terminal; SIGTERM unmounts cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/hcpmodelfs/hcpmodelfs"]
CMD ["mount", "/models"]
