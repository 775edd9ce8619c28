using HcpModelFs.Fuse;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// Which open files the kernel reads straight from their cache file (FUSE passthrough), under the kernel's rules:
/// the opens of one node outstanding at a time are all passthrough or all ordinary, they share one backing id, and
/// the id is closed only when the node's last passthrough handle is released.
/// </summary>
internal sealed class PassthroughFiles(bool enabled, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, NodeOpens> _nodes = [];
    private IFuseBackingFiles? _backing;
    private int _announced;

    public void OnInitialized(IFuseBackingFiles backing)
    {
        _backing = backing;
        CoreLog.PassthroughState(logger, !enabled ? "off (HCPMODELFS_PASSTHROUGH=off)"
            : backing.IsAvailable ? "granted; complete, verified cache files are read by the kernel directly"
            : "not granted by the kernel (needs Linux 6.9+ with FUSE passthrough); every read is a READ");
    }

    /// <summary>
    /// Records an open of <paramref name="node"/> and returns the backing id to answer it with (0 = ordinary I/O).
    /// <paramref name="verifiedPath"/> is the complete, verified cache file, or null when the file may not be passed
    /// through now (partial, unverified, still being ingested).
    /// </summary>
    public int Open(ulong node, string key, string? verifiedPath)
    {
        var backing = _backing;
        lock (_lock)
        {
            _nodes.TryGetValue(node, out var opens);
            opens ??= new NodeOpens();
            if (opens.BackingId == 0 && opens.Cached == 0 && verifiedPath is not null && enabled && backing is { IsAvailable: true })
            {
                opens.BackingId = Register(backing, key, verifiedPath);
            }

            // Once a node is passthrough every further open must be too, or the kernel fails it with EIO.
            if (opens.BackingId != 0)
            {
                opens.Passthrough++;
            }
            else
            {
                opens.Cached++;
            }

            _nodes[node] = opens;
            return opens.BackingId;
        }
    }

    public void Release(ulong node, bool passthrough)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(node, out var opens))
            {
                return;
            }

            if (passthrough)
            {
                opens.Passthrough--;
            }
            else
            {
                opens.Cached--;
            }

            if (opens.Passthrough == 0 && opens.BackingId != 0)
            {
                _backing?.Close(opens.BackingId);
                opens.BackingId = 0;
            }

            if (opens.Passthrough == 0 && opens.Cached == 0)
            {
                _nodes.Remove(node);
            }
        }
    }

    private int Register(IFuseBackingFiles backing, string key, string path)
    {
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var result = backing.Open(file);
            if (!result.IsSuccess)
            {
                CoreLog.PassthroughRefused(logger, key, result.Error.ToString());
                return 0;
            }

            if (Interlocked.Exchange(ref _announced, 1) == 0)
            {
                CoreLog.PassthroughState(logger, "first file passed through: " + key);
            }

            return result.Value;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CoreLog.PassthroughRefused(logger, key, ex.GetType().Name);
            return 0;
        }
    }

    private sealed class NodeOpens
    {
        public int BackingId;
        public int Passthrough;
        public int Cached;
    }
}
