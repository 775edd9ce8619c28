using System.Text.Json;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Testing.Deployment;

/// <summary>
/// An overlay of deploy/kubernetes rendered by the real `kubectl kustomize` and checked object by object against the
/// Kubernetes OpenAPI schemas of the npm package kubernetes-models (tests/node/validate-k8s.mjs). Needs kubectl and
/// `npm ci --prefix tests/node` (scripts/install-test-deps.sh); without them it fails, it never passes silently.
/// </summary>
public static class KustomizeRender
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    public static string OverlayDirectory(string overlay) => Path.Combine(RepoPaths.Root, "deploy", "kubernetes", "overlays", overlay);

    /// <summary>The rendered, schema-valid objects of <paramref name="overlay"/>; fails with the validator's message.</summary>
    public static async Task<IReadOnlyList<JsonElement>> RenderAsync(string overlay)
    {
        RequireTools();
        var result = await ProcessRunner.ShellAsync(
            $"set -o pipefail; kubectl kustomize '{OverlayDirectory(overlay)}' | node '{NodeScript("validate-k8s.mjs")}'", Bounded);
        Xunit.Assert.True(result.ExitCode == 0, $"overlay {overlay} did not render to valid objects:\n{result}");
        return ParseArray(result.StandardOutput);
    }

    /// <summary>Runs the schema validator on <paramref name="yaml"/> as it is (no kustomize).</summary>
    public static Task<ProcessResult> ValidateAsync(string yaml) => NodeAsync("validate-k8s.mjs", yaml);

    /// <summary>One YAML document as JSON (tests/node/yaml-to-json.mjs), for files kustomize does not render.</summary>
    public static async Task<JsonElement> YamlFileAsJsonAsync(string path)
    {
        var result = await NodeAsync("yaml-to-json.mjs", await File.ReadAllTextAsync(path));
        Xunit.Assert.True(result.ExitCode == 0, $"{path} is not valid YAML:\n{result}");
        using var doc = JsonDocument.Parse(result.StandardOutput);
        return doc.RootElement.Clone();
    }

    private static async Task<ProcessResult> NodeAsync(string script, string input)
    {
        RequireTools();
        var file = Path.Combine(Path.GetTempPath(), $"hcpfs-yaml-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, input);
        try
        {
            return await ProcessRunner.ShellAsync($"node '{NodeScript(script)}' < '{file}'", Bounded);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string NodeScript(string name) => Path.Combine(RepoPaths.Root, "tests", "node", name);

    private static void RequireTools()
    {
        var models = Path.Combine(RepoPaths.Root, "tests", "node", "node_modules", "kubernetes-models", "package.json");
        Xunit.Assert.True(File.Exists(models), $"kubernetes-models is not installed: run `npm ci --prefix tests/node` (looked for {models}).");
        Xunit.Assert.True(Tools.OnPath("node"), "`node` is not on PATH: install Node.js >= 20 (scripts/install-test-deps.sh).");
        Xunit.Assert.True(Tools.OnPath("kubectl"), "`kubectl` is not on PATH: it renders the kustomize overlays (scripts/install-test-deps.sh).");
    }

    private static IReadOnlyList<JsonElement> ParseArray(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
