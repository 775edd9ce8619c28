using System.Reflection;

namespace HcpModelFs.Tests;

/// <summary>
/// The layering of conventions.md §1, checked on the compiled assemblies: Fuse, Store and Hub know nothing of ours;
/// only Store talks to AWSSDK; only Store and Hub use Polly; only the executable uses Serilog; Http never sees Fuse.
/// </summary>
public sealed class DependencyRulesTests
{
    private static readonly string[] Ours = ["HcpModelFs.Fuse", "HcpModelFs.Store", "HcpModelFs.Hub", "HcpModelFs.Core", "HcpModelFs.Http", "hcpmodelfs"];

    public static TheoryData<string, string[]> Rules => new()
    {
        { "HcpModelFs.Fuse", [] },
        { "HcpModelFs.Store", [] },
        { "HcpModelFs.Hub", [] },
        { "HcpModelFs.Core", ["HcpModelFs.Fuse", "HcpModelFs.Store", "HcpModelFs.Hub"] },
        // The HTTP door knows Core (and the failure types of the layers under it), never the FUSE layer.
        { "HcpModelFs.Http", ["HcpModelFs.Core", "HcpModelFs.Store", "HcpModelFs.Hub"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Library_references_only_the_layers_below_it(string assembly, string[] allowed)
    {
        var references = References(assembly).Where(r => Ours.Contains(r)).ToArray();
        Assert.All(references, r => Assert.Contains(r, allowed));
    }

    [Theory]
    [InlineData("AWSSDK.", "HcpModelFs.Store")]
    [InlineData("Polly", "HcpModelFs.Store", "HcpModelFs.Hub")]
    [InlineData("Serilog", "hcpmodelfs")]
    public void Third_party_library_is_used_only_where_allowed(string prefix, params string[] allowed)
    {
        foreach (var assembly in Ours)
        {
            var uses = References(assembly).Any(r => r.StartsWith(prefix, StringComparison.Ordinal));
            if (uses)
            {
                Assert.Contains(assembly, allowed);
            }
        }
    }

    [Fact]
    public void The_rules_see_real_references()
    {
        // Guards the guard: if assembly loading silently found nothing, every rule above would pass vacuously.
        Assert.Contains("Microsoft.Extensions.Logging.Abstractions", References("HcpModelFs.Fuse"));
        Assert.Contains("System.Runtime", References("hcpmodelfs"));
        Assert.Contains("HcpModelFs.Core", References("HcpModelFs.Http"));
    }

    private static string[] References(string assembly) =>
        Assembly.Load(assembly).GetReferencedAssemblies().Select(a => a.Name!).ToArray();
}
