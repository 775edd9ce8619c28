using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Catalog;

public sealed class ModelRemoverTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private readonly InMemoryObjectStore _store = new();

    [Theory]
    [InlineData(1)] // the manifest
    [InlineData(2)] // the first object
    [InlineData(4)] // the first ref entry, every object already gone
    public async Task A_delete_that_fails_leaves_the_model_either_complete_or_invisible_and_a_rerun_finishes(int failingDelete)
    {
        using var model = await PublishAsync();
        var faulty = new FaultInjectingObjectStore(_store);
        var remover = new ModelRemover(faulty, TestModel.Layout);
        var plan = await remover.PlanAsync("acme", "m", null, CancellationToken.None).WaitAsync(Bounded);
        Assert.Equal((1, 2, 2), (plan.Manifests.Count, plan.Objects.Count, plan.Refs.Count));

        // The first deletes go through, then one is refused as HCP retention refuses it.
        var result = await ExecuteFailingAtAsync(remover, faulty, plan, failingDelete);

        Assert.False(result.Completed);
        Assert.Equal(failingDelete - 1, result.Deleted);
        Assert.Equal(StoreErrorKind.AccessDenied, result.Error!.Kind);
        using (var catalog = NewCatalog())
        {
            var seen = await catalog.ResolveAsync("acme", "m", null, CancellationToken.None).WaitAsync(Bounded);
            if (failingDelete == 1)
            {
                Assert.NotNull(seen); // nothing deleted yet: still complete
                Assert.Equal(2, seen.FileCount);
                Assert.Contains("1 revision(s) still complete and visible", result.DescribeLeft(), StringComparison.Ordinal);
            }
            else
            {
                Assert.Null(seen); // never a plain folder of leftovers, never a revision missing files
                Assert.Contains("no revision of it is visible", result.DescribeLeft(), StringComparison.Ordinal);
            }
        }

        var rerun = new ModelRemover(_store, TestModel.Layout);
        var finish = await rerun.ExecuteAsync(await rerun.PlanAsync("acme", "m", null, CancellationToken.None), CancellationToken.None).WaitAsync(Bounded);
        Assert.True(finish.Completed);
        Assert.Equal(0, await CountAsync("models/acme/m/"));
    }

    [Fact]
    public async Task Removing_one_revision_keeps_the_others_and_drops_refs_pointing_at_it()
    {
        using var first = await PublishAsync();
        using var second = await TestModel.PublishAsync(_store, "acme", "m", new Dictionary<string, byte[]> { ["x.bin"] = TestModel.Bytes(300, 9) }, revision: "v2");
        var remover = new ModelRemover(_store, TestModel.Layout);

        var plan = await remover.PlanAsync("acme", "m", second.Manifest.Commit, CancellationToken.None).WaitAsync(Bounded);
        var result = await remover.ExecuteAsync(plan, CancellationToken.None).WaitAsync(Bounded);

        Assert.True(result.Completed);
        Assert.Equal(2, plan.Refs.Count); // HEAD's newest entry and v2
        using var catalog = NewCatalog();
        var head = await catalog.ResolveAsync("acme", "m", null, CancellationToken.None);
        Assert.Equal(first.Manifest.Commit, head!.Commit); // HEAD falls back to its previous entry
        Assert.Null(await catalog.ResolveAsync("acme", "m", "v2", CancellationToken.None));
        Assert.Equal(0, await CountAsync($"models/acme/m/{second.Manifest.Commit}/"));
    }

    [Fact]
    public async Task Interrupted_removal_reports_where_it_stopped()
    {
        using var model = await PublishAsync();
        var remover = new ModelRemover(_store, TestModel.Layout);
        var plan = await remover.PlanAsync("acme", "m", null, CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var result = await remover.ExecuteAsync(plan, cancelled.Token).WaitAsync(Bounded);

        Assert.True(result.Interrupted);
        Assert.Equal(RemovalStep.Manifests, result.FailedStep);
        Assert.Equal(plan.TotalKeys, result.Left);
    }

    private static async Task<RemovalResult> ExecuteFailingAtAsync(ModelRemover remover, FaultInjectingObjectStore faulty, RemovalPlan plan, int failingDelete)
    {
        // FaultInjectingObjectStore fails the next calls; the ones before the failing one are let through by a plan
        // of just those keys first.
        var before = plan.Manifests.Concat(plan.Objects).Concat(plan.Refs).Concat(plan.Metadata).Take(failingDelete - 1).ToList();
        var head = plan with
        {
            Manifests = [.. plan.Manifests.Where(before.Contains)],
            Objects = [.. plan.Objects.Where(before.Contains)],
            Refs = [.. plan.Refs.Where(before.Contains)],
            Metadata = [.. plan.Metadata.Where(before.Contains)],
        };
        Assert.True((await remover.ExecuteAsync(head, CancellationToken.None)).Completed);
        faulty.FailNext("delete", () => new StoreException(StoreErrorKind.AccessDenied, "DELETE: HTTP 403 AccessDenied") { StatusCode = 403 });
        var rest = await remover.ExecuteAsync(plan with
        {
            Manifests = [.. plan.Manifests.Except(before)],
            Objects = [.. plan.Objects.Except(before)],
            Refs = [.. plan.Refs.Except(before)],
            Metadata = [.. plan.Metadata.Except(before)],
        }, CancellationToken.None).WaitAsync(Bounded);
        return rest with { Plan = plan, Deleted = rest.Deleted + before.Count };
    }

    private Task<TestModel> PublishAsync() => TestModel.PublishAsync(_store, "acme", "m", new Dictionary<string, byte[]>
    {
        ["config.json"] = "{}"u8.ToArray(),
        ["w.bin"] = TestModel.Bytes(5000, 1),
    });

    private ModelCatalog NewCatalog() => new(_store, TestModel.Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance);

    private async Task<int> CountAsync(string prefix)
    {
        var n = 0;
        await foreach (var entry in _store.ListAsync(prefix, null, CancellationToken.None))
        {
            n++;
        }

        return n;
    }
}
