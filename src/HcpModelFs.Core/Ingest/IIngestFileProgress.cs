namespace HcpModelFs.Core.Ingest;

/// <summary>Progress of one file of an ingest (for progress bars and logs).</summary>
public interface IIngestFileProgress
{
    string Path { get; }

    long Size { get; }

    /// <summary>Bytes uploaded so far (parts in the store, or the whole object).</summary>
    long BytesDone { get; }

    bool IsStored { get; }
}
