namespace HcpModelFs.Fuse;

/// <summary>Names of the FUSE session's instruments (Meter <see cref="MeterName"/>).</summary>
public static class MetricNames
{
    public const string MeterName = "HcpModelFs.Fuse";
    public const string Requests = "hcpmodelfs.fuse.requests";
    public const string Errors = "hcpmodelfs.fuse.errors";
    public const string Duration = "hcpmodelfs.fuse.duration";

    /// <summary>Tag: the request's opcode in lower case, e.g. read, lookup.</summary>
    public const string OpcodeTag = "opcode";

    /// <summary>Tag: the errno of an error reply, e.g. ENOENT.</summary>
    public const string ErrnoTag = "errno";
}
