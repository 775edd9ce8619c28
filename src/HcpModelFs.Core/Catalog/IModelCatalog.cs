namespace HcpModelFs.Core.Catalog;

/// <summary>Names -> revisions -> files, from the store. Results are cached with TTLs, misses too (negative cache).</summary>
public interface IModelCatalog
{
    Task<IReadOnlyList<string>> ListOrganizationsAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListModelsAsync(string org, CancellationToken cancellationToken);

    /// <summary>Whether /&lt;org&gt; exists: the store has models of it, or models of it may come from the Hub.</summary>
    Task<bool> OrganizationExistsAsync(string org, CancellationToken cancellationToken);

    /// <summary>Forgets what is cached about org/model (its revisions, the organisation's listing): it just changed.</summary>
    void Invalidate(string org, string model);

    /// <summary>The revision of org/model (<paramref name="revision"/> null = the pinned default), or null when there is none.</summary>
    Task<ModelRevision?> ResolveAsync(string org, string model, string? revision, CancellationToken cancellationToken);
}
