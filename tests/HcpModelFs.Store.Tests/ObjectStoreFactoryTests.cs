using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.Local;
using HcpModelFs.Store.Resilience;

namespace HcpModelFs.Store.Tests;

public sealed class ObjectStoreFactoryTests
{
    [Fact]
    public void Create_without_endpoint_gives_local_directory_store()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hcpmodelfs-factory-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.IsType<LocalDirectoryObjectStore>(ObjectStoreFactory.Create(new StoreSettings(), dir));
            Assert.True(Directory.Exists(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Create_with_endpoint_gives_resilient_s3_store()
    {
        var settings = StoreSettingsBinder.Bind(new Dictionary<string, string>
        {
            ["S3_ENDPOINT"] = "http://127.0.0.1:1",
            ["S3_BUCKET"] = "b",
            ["S3_ACCESS_KEY_ID"] = "a",
            ["S3_SECRET_ACCESS_KEY"] = "s",
        });
        var store = ObjectStoreFactory.Create(settings, "/unused");
        Assert.IsType<ResilientObjectStore>(store);
        Assert.Equal("http://127.0.0.1:1/b", store.Name);
    }

    [Fact]
    public void Store_assembly_references_no_other_project_of_ours()
    {
        var references = typeof(IObjectStore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, n => n.StartsWith("HcpModelFs", StringComparison.Ordinal));
        Assert.Contains("AWSSDK.S3", references);
        Assert.Contains("Polly.Core", references);
    }
}
