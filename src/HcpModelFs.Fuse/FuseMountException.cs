namespace HcpModelFs.Fuse;

/// <summary>Mounting or unmounting failed; the message says why and what to do.</summary>
public sealed class FuseMountException : Exception
{
    public FuseMountException(string message) : base(message)
    {
    }

    public FuseMountException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public FuseMountException()
    {
    }
}
