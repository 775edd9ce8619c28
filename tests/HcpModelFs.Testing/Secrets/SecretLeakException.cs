namespace HcpModelFs.Testing.Secrets;

/// <summary>A known test secret appeared in captured output; the message never holds the secret itself.</summary>
public sealed class SecretLeakException : Exception
{
    public SecretLeakException()
    {
        Hits = [];
    }

    public SecretLeakException(string message)
        : base(message)
    {
        Hits = [];
    }

    public SecretLeakException(string message, Exception innerException)
        : base(message, innerException)
    {
        Hits = [];
    }

    public SecretLeakException(string what, IReadOnlyList<string> hits)
        : base($"{what} printed {hits.Count} known secret(s):\n{string.Join('\n', hits)}")
    {
        Hits = hits;
    }

    public IReadOnlyList<string> Hits { get; }
}
