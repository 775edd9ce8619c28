namespace HcpModelFs.Core.Import;

/// <summary>An import that cannot finish for a reason the user can act on (the message says which); nothing was committed.</summary>
public class ImportFailedException : Exception
{
    public ImportFailedException()
        : this("the import failed")
    {
    }

    public ImportFailedException(string message)
        : base(message)
    {
    }

    public ImportFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A source object changed (or vanished) while it was being copied: its ETag no longer matches the listing's.</summary>
public sealed class SourceChangedException : ImportFailedException
{
    public SourceChangedException()
    {
    }

    public SourceChangedException(string message)
        : base(message)
    {
    }

    public SourceChangedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public static SourceChangedException For(string url, Exception? cause = null) =>
        new($"{url} changed during the import (its ETag no longer matches the listing); nothing was committed, re-run to import the new version", cause);

    public static SourceChangedException ForFile(string path, Exception? cause = null) =>
        new($"{path} changed during the upload (size or modification time); nothing was committed, re-run to upload the new version", cause);
}
