namespace HcpModelFs.Testing;

/// <summary>Locations inside the repository, found from the test assembly's directory.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HcpModelFs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"HcpModelFs.sln not found above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootLazy.Value;
}
