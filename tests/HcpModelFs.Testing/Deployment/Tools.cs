namespace HcpModelFs.Testing.Deployment;

/// <summary>Whether an executable is on PATH, for validators a test needs (it fails, or is skipped with a reason).</summary>
public static class Tools
{
    public static bool OnPath(string name) => Find(name) is not null;

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}
