using System.Globalization;

namespace HcpModelFs.Core.Catalog;

/*
 * Keys of the managed layout (design.md §3). Every key is written once; nothing is updated in place:
 *   <prefix><org>/<model>/<sha>/<path>                          file objects, bytes exactly as on the Hub
 *   <prefix><org>/<model>/<sha>/.hcpmodelfs/manifest.json       written last: the revision is complete
 *   <prefix><org>/<model>/.hcpmodelfs/refs/<name>/<seq>-<sha>   append-only ref log; highest seq wins
 *   <prefix><org>/<model>/.hcpmodelfs/leases/<sha>/<seq>        ingest leases
 * Ref names are percent-encoded ('/' -> %2F) so "refs/pr/1" stays one key segment. The default revision of a model is
 * the ref named HEAD.
 */
public sealed class StoreLayout
{
    public const string MetaFolder = ".hcpmodelfs";
    public const string DefaultRef = "HEAD";

    public StoreLayout(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    public string Prefix { get; }

    public string OrgPrefix(string org) => $"{Prefix}{org}/";

    public string ModelPrefix(string org, string model) => $"{Prefix}{org}/{model}/";

    public string RevisionPrefix(string org, string model, string commit) => $"{Prefix}{org}/{model}/{commit}/";

    public string FileKey(string org, string model, string commit, string path) => $"{Prefix}{org}/{model}/{commit}/{path}";

    /// <summary>A key that need not exist, HEADed by readiness checks: a not-found answer shows the store answers.</summary>
    public string ReadinessProbeKey => $"{Prefix}{MetaFolder}/readyz";

    public string ManifestKey(string org, string model, string commit) => $"{Prefix}{org}/{model}/{commit}/{MetaFolder}/manifest.json";

    public string RefsPrefix(string org, string model, string refName) =>
        $"{Prefix}{org}/{model}/{MetaFolder}/refs/{Uri.EscapeDataString(refName)}/";

    public string RefKey(string org, string model, string refName, long sequence, string commit) =>
        RefsPrefix(org, model, refName) + sequence.ToString("D10", CultureInfo.InvariantCulture) + "-" + commit;

    public string LeasePrefix(string org, string model, string commit) => $"{Prefix}{org}/{model}/{MetaFolder}/leases/{commit}/";

    /// <summary>Parses "&lt;seq&gt;-&lt;sha&gt;", the last segment of a ref key.</summary>
    public static bool TryParseRefEntry(string name, out long sequence, out string commit)
    {
        sequence = 0;
        commit = string.Empty;
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !long.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out sequence))
        {
            return false;
        }

        commit = name[(dash + 1)..];
        return Naming.ModelName.IsCommitSha(commit);
    }
}
