namespace HcpModelFs.Core.Ingest;

/// <summary>The Hub refuses the model to us (gated, private without a token, disabled): EACCES, not a retry.</summary>
public sealed class ModelAccessDeniedException : Exception
{
    public ModelAccessDeniedException()
    {
    }

    public ModelAccessDeniedException(string message)
        : base(message)
    {
    }

    public ModelAccessDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
