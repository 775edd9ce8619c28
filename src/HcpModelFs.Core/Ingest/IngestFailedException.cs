namespace HcpModelFs.Core.Ingest;

/// <summary>An ingest gave up for good (the Hub sent bytes that do not match its own sha256 or size): EIO to readers.</summary>
public sealed class IngestFailedException : Exception
{
    public IngestFailedException()
    {
    }

    public IngestFailedException(string message)
        : base(message)
    {
    }

    public IngestFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
