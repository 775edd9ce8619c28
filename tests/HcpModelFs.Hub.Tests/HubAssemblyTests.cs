namespace HcpModelFs.Hub.Tests;

public sealed class HubAssemblyTests
{
    [Fact]
    public void Hub_assembly_references_nothing_else_of_ours()
    {
        var references = typeof(IModelHub).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, n => n.StartsWith("HcpModelFs", StringComparison.Ordinal));
        Assert.Contains("Polly.Core", references);
    }

    [Fact]
    public void Version_is_the_assembly_version_without_build_metadata()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", Http.HttpModelHub.Version);
        Assert.DoesNotContain("+", Http.HttpModelHub.Version, StringComparison.Ordinal);
    }
}
