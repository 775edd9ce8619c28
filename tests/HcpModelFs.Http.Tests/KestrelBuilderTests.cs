namespace HcpModelFs.Http.Tests;

[CollectionDefinition(nameof(WorkingDirectory), DisableParallelization = true)]
public sealed class WorkingDirectory;

/// <summary>The working directory is process-wide: these tests run alone.</summary>
[Collection(nameof(WorkingDirectory))]
public sealed class KestrelBuilderTests
{
    [Fact]
    public void An_appsettings_file_in_the_working_directory_configures_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("hcpfs-cwd-");
        var before = Directory.GetCurrentDirectory();
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "appsettings.json"),
                """{ "Probe": "from the working directory", "Kestrel": { "Endpoints": { "Stray": { "Url": "http://127.0.0.1:1" } } } }""");
            Directory.SetCurrentDirectory(dir.FullName);

            var builder = KestrelBuilder.Create();

            Assert.Null(builder.Configuration["Probe"]);
            Assert.Null(builder.Configuration["Kestrel:Endpoints:Stray:Url"]);
            Assert.Equal(AppContext.BaseDirectory, builder.Environment.ContentRootPath);
        }
        finally
        {
            Directory.SetCurrentDirectory(before);
            dir.Delete(recursive: true);
        }
    }
}
