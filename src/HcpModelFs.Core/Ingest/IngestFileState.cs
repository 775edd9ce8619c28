using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Hub;

namespace HcpModelFs.Core.Ingest;

/// <summary>One file's ingest state. Verification runs once (single flight) unless it was interrupted.</summary>
internal sealed class IngestFileState(RevisionFile file, HubFile hub) : IIngestFileProgress
{
    private readonly Lock _lock = new();
    private Task<string>? _verify;
    private Task<bool>? _awaitStored;
    private volatile bool _seenInStore;
    private int _waitRanOut;
    private long _bytesDone;

    public RevisionFile File { get; } = file;

    public HubFile Hub { get; } = hub;

    public volatile Exception? Failure;

    public string? Sha256 { get; set; }

    /// <summary>Per-block CRC32C, once the in-order pass has checked the file (small LFS files may have none).</summary>
    public BlockChecksums? Blocks { get; set; }

    public string? ETag { get; private set; }

    public string Path => File.Path;

    public long Size => File.Size;

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    public bool IsStored => ETag is not null;

    /// <summary>The file's object is complete in the store (stored by us, or seen there: another node's verified upload).</summary>
    public bool InStore => _seenInStore || ETag is not null;

    public void MarkSeenInStore() => _seenInStore = true;

    /// <summary>
    /// One poll per file for another node's object, shared by every reader of the file. True is final; a poll that
    /// ended without seeing it (this node stopped following) is started again by the next caller.
    /// </summary>
    public Task<bool> AwaitStored(Func<Task<bool>> poll)
    {
        lock (_lock)
        {
            // A poll that saw the object marked it seen before it ended.
            if (_awaitStored is null || (_awaitStored.IsCompleted && !_seenInStore))
            {
                _awaitStored = poll();
            }

            return _awaitStored;
        }
    }

    /// <summary>True the first time only: a follower says once per file that the holder kept its readers waiting.</summary>
    public bool FirstWaitRanOut() => Interlocked.Exchange(ref _waitRanOut, 1) == 0;

    public Task<string> Verify(Func<Task<string>> run)
    {
        lock (_lock)
        {
            // A pass cut short (shutdown, Hub outage) is run again; a mismatch is final.
            if (_verify is null || _verify.IsCanceled || (_verify.IsFaulted && Failure is null))
            {
                _verify = run();
            }

            return _verify;
        }
    }

    public void AddProgress(long bytes) => Interlocked.Add(ref _bytesDone, bytes);

    public void ResetProgress() => Interlocked.Exchange(ref _bytesDone, 0);

    public void Complete(string etag)
    {
        ETag = etag;
        Interlocked.Exchange(ref _bytesDone, Size);
    }
}
