using System.Globalization;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Catalog;

/*
 * Deletes a model (or one revision) from the store in the order that never shows a half-deleted revision:
 *   1. manifests: the commit point goes first, so each revision is complete or invisible, never partial;
 *   2. file objects, while the ref log still marks the folder as managed (without it, the leftover objects would be
 *      listed as a plain model);
 *   3. ref log entries, then 4. the rest of .hcpmodelfs/ (leases).
 * Every step is a listing-driven delete, so a run that failed or was interrupted is finished by running it again;
 * the result says exactly what is left.
 */
public sealed class ModelRemover
{
    private readonly IObjectStore _store;
    private readonly StoreLayout _layout;
    private readonly ModelInventory _inventory;

    public ModelRemover(IObjectStore store, StoreLayout layout)
    {
        _store = store;
        _layout = layout;
        _inventory = new ModelInventory(store, layout);
    }

    /// <summary>What removing <paramref name="org"/>/<paramref name="model"/> (only <paramref name="commit"/> when given) would delete.</summary>
    public async Task<RemovalPlan> PlanAsync(string org, string model, string? commit, CancellationToken cancellationToken)
    {
        var modelPrefix = _layout.ModelPrefix(org, model);
        var meta = modelPrefix + StoreLayout.MetaFolder + "/";
        var refsRoot = _inventory.RefsRoot(org, model);
        var prefix = commit is null ? modelPrefix : _layout.RevisionPrefix(org, model, commit);
        var manifests = new List<string>();
        var objects = new List<string>();
        var others = new List<string>();
        long bytes = 0;
        await foreach (var entry in _store.ListAsync(prefix, null, cancellationToken))
        {
            if (entry.IsPrefix || entry.Key.StartsWith(refsRoot, StringComparison.Ordinal))
            {
                continue;
            }

            if (entry.Key.EndsWith("/" + StoreLayout.MetaFolder + "/manifest.json", StringComparison.Ordinal))
            {
                manifests.Add(entry.Key);
            }
            else if (entry.Key.StartsWith(meta, StringComparison.Ordinal))
            {
                others.Add(entry.Key);
            }
            else
            {
                objects.Add(entry.Key);
                bytes += entry.Size;
            }
        }

        var refs = (await _inventory.ListRefEntriesAsync(org, model, cancellationToken))
            .Where(e => commit is null || e.Commit == commit)
            .Select(e => e.Key)
            .ToList();
        if (commit is not null)
        {
            others.AddRange(await _inventory.ListKeysAsync(_layout.LeasePrefix(org, model, commit), cancellationToken));
        }

        return new RemovalPlan(org, model, commit, prefix, manifests, objects, refs, others, bytes);
    }

    /// <summary>Deletes what <paramref name="plan"/> lists, step by step; stops at the first failure or cancellation.</summary>
    public async Task<RemovalResult> ExecuteAsync(RemovalPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var steps = new[] { (RemovalStep.Manifests, plan.Manifests), (RemovalStep.Objects, plan.Objects), (RemovalStep.Refs, plan.Refs), (RemovalStep.Metadata, plan.Metadata) };
        var deleted = 0;
        foreach (var (step, keys) in steps)
        {
            for (var i = 0; i < keys.Count; i++)
            {
                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await _store.DeleteAsync(keys[i], cancellationToken);
                    deleted++;
                }
                catch (StoreException ex)
                {
                    return new RemovalResult(plan, deleted, step, keys[i], ex, Interrupted: false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return new RemovalResult(plan, deleted, step, keys[i], null, Interrupted: true);
                }
            }
        }

        return new RemovalResult(plan, deleted, null, null, null, Interrupted: false);
    }
}

public enum RemovalStep
{
    Manifests,
    Objects,
    Refs,
    Metadata,
}

/// <summary>The keys a removal deletes, in the groups it deletes them in.</summary>
public sealed record RemovalPlan(
    string Org,
    string Model,
    string? Commit,
    string Prefix,
    IReadOnlyList<string> Manifests,
    IReadOnlyList<string> Objects,
    IReadOnlyList<string> Refs,
    IReadOnlyList<string> Metadata,
    long ObjectBytes)
{
    public int TotalKeys => Manifests.Count + Objects.Count + Refs.Count + Metadata.Count;

    public bool IsEmpty => TotalKeys == 0;
}

/// <summary>
/// How far a removal got. <see cref="FailedStep"/> is null when everything in the plan was deleted; otherwise
/// <see cref="FailedKey"/> is the key it stopped at (<see cref="Error"/> says why, or <see cref="Interrupted"/>).
/// </summary>
public sealed record RemovalResult(RemovalPlan Plan, int Deleted, RemovalStep? FailedStep, string? FailedKey, StoreException? Error, bool Interrupted)
{
    public bool Completed => FailedStep is null;

    public int Left => Plan.TotalKeys - Deleted;

    /// <summary>One sentence on the state the store is left in (empty when complete).</summary>
    public string DescribeLeft()
    {
        if (FailedStep is not { } step)
        {
            return string.Empty;
        }

        var manifestsDone = Math.Min(Deleted, Plan.Manifests.Count);
        var plain = Plan.Manifests.Count == 0 && Plan.Refs.Count == 0 && Plan.Metadata.Count == 0;
        var state = plain
            ? "the plain folder is partly deleted (a plain folder has no commit point)"
            : step == RemovalStep.Manifests
            ? (Plan.Manifests.Count - manifestsDone) + " revision(s) still complete and visible" +
              (manifestsDone > 0 ? $", {manifestsDone} removed from view" : string.Empty)
            : "no revision of it is visible any more";
        return string.Create(CultureInfo.InvariantCulture, $"{state}; {Left} of {Plan.TotalKeys} keys are left under {Plan.Prefix}; run the same rm again to finish");
    }
}
