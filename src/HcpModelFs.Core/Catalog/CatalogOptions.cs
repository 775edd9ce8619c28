namespace HcpModelFs.Core.Catalog;

/// <summary>How long catalog answers are remembered.</summary>
public sealed record CatalogOptions
{
    /// <summary>
    /// Lists of organisations and models and the bulk index of an organisation (HCPMODELFS_LISTING_TTL): long enough
    /// that one `find` over a big organisation is served from one listing, short enough that new models show up soon.
    /// </summary>
    public TimeSpan ListingTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// An organisation with more keys than this is not indexed in bulk (memory stays bounded); it is listed one
    /// model at a time instead (HCPMODELFS_LISTING_MAX_KEYS).
    /// </summary>
    public int MaxIndexKeys { get; init; } = 100_000;

    /// <summary>Manifests read at once when a walked organisation's managed models are read ahead.</summary>
    public int ManifestReadsInFlight { get; init; } = 16;

    /// <summary>A model's default revision (its HEAD ref) may be re-pinned by `hcpmodelfs refresh`.</summary>
    public TimeSpan RefTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A revision named by commit sha never changes.</summary>
    public TimeSpan CommitTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Plain folders (no managed layout) are listed from the store and may change.</summary>
    public TimeSpan PlainTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A model the store does not have.</summary>
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromSeconds(30);
}
