namespace HcpModelFs.Core.Import;

/// <summary>What an import will copy, known after the source listing and before any byte moves.</summary>
public sealed record ImportPlan(ModelSource Source, string Org, string Model, string Commit, IReadOnlyList<SourceFile> Files, ImportOptions Options)
{
    public long TotalBytes { get; } = Files.Sum(f => f.Size);
}
