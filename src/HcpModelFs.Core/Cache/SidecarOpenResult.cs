namespace HcpModelFs.Core.Cache;

/// <summary>What <see cref="BlockSidecar.OpenOrCreate"/> found on disk.</summary>
internal enum SidecarOpenResult
{
    /// <summary>No sidecar existed; a fresh one was written.</summary>
    Created,

    /// <summary>The sidecar describes exactly this object and block size; its slots are valid.</summary>
    Matched,

    /// <summary>The sidecar described something else (or was damaged); it was rewritten empty.</summary>
    Discarded,
}
