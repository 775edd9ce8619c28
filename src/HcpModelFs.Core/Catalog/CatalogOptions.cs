namespace HcpModelFs.Core.Catalog;

/// <summary>How long catalog answers are remembered.</summary>
public sealed record CatalogOptions
{
    /// <summary>Lists of organisations and models: new models should show up soon.</summary>
    public TimeSpan ListingTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A model's default revision (its HEAD ref) may be re-pinned by `hcpmodelfs refresh`.</summary>
    public TimeSpan RefTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A revision named by commit sha never changes.</summary>
    public TimeSpan CommitTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Plain folders (no managed layout) are listed from the store and may change.</summary>
    public TimeSpan PlainTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A model the store does not have.</summary>
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromSeconds(30);
}
