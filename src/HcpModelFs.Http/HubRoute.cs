namespace HcpModelFs.Http;

/// <summary>Which Hub route a request names (also the metrics tag).</summary>
internal enum HubRouteKind
{
    Unknown,
    ModelInfo,
    Tree,
    PathsInfo,
    Refs,
    Resolve,
    WhoAmI,
    OtherRepoType,
}

/// <summary>
/// A request target split the way the Hub's routes are (hf-hub-protocol.md §1.1, §1.3): repo ids may have one or two
/// segments, so routes are found by their literal marker (/resolve/, /tree/, ...) rather than by counting segments.
/// Parsed from the raw target because Kestrel leaves %2F undecoded in the path: each segment is decoded on its own, so a
/// revision "refs%2Fpr%2F1" stays one segment and a repo id with an encoded slash is told apart (the Hub's 400).
/// </summary>
internal sealed record HubRoute(HubRouteKind Kind, string? Org, string? Model, string? Revision, string Path, bool BadRepoId)
{
    private static readonly string[] ApiMarkers = ["revision", "tree", "paths-info", "refs"];

    public string Name => Kind switch
    {
        HubRouteKind.ModelInfo => "model_info",
        HubRouteKind.Tree => "tree",
        HubRouteKind.PathsInfo => "paths_info",
        HubRouteKind.Refs => "refs",
        HubRouteKind.Resolve => "resolve",
        HubRouteKind.WhoAmI => "whoami",
        HubRouteKind.OtherRepoType => "other_repo_type",
        _ => "unknown",
    };

    public string RepoId => Org + "/" + Model;

    public static HubRoute Parse(string rawPath)
    {
        ArgumentNullException.ThrowIfNull(rawPath);
        var raw = rawPath.Split('/');
        var segments = new List<string>(raw.Length);
        foreach (var s in raw.Skip(1))
        {
            segments.Add(s);
        }

        if (segments.Count > 0 && segments[^1].Length == 0)
        {
            segments.RemoveAt(segments.Count - 1);
        }

        if (segments.Count == 2 && segments[0] == "api" && segments[1] == "whoami-v2")
        {
            return new HubRoute(HubRouteKind.WhoAmI, null, null, null, string.Empty, false);
        }

        if (segments.Count >= 2 && segments[0] == "api")
        {
            if (segments[1] != "models")
            {
                return Other(segments[1]);
            }

            return ParseApi(segments.Skip(2).ToList());
        }

        if (segments.Count >= 1 && segments[0] is "datasets" or "spaces" or "kernels" or "buckets")
        {
            return Other(segments[0]);
        }

        // /{id}/resolve/{rev}/{path...}: a two-segment id first, then the legacy one-segment form.
        foreach (var idLength in new[] { 2, 1 })
        {
            if (segments.Count >= idLength + 3 && segments[idLength] == "resolve")
            {
                var (org, model, bad) = RepoId_(segments, idLength);
                return new HubRoute(HubRouteKind.Resolve, org, model, Decode(segments[idLength + 1]), JoinPath(segments.Skip(idLength + 2)), bad);
            }
        }

        return new HubRoute(HubRouteKind.Unknown, null, null, null, string.Empty, false);
    }

    private static HubRoute Other(string type) => new(HubRouteKind.OtherRepoType, null, null, null, type, false);

    private static HubRoute ParseApi(List<string> s)
    {
        if (s.Count == 0)
        {
            return new HubRoute(HubRouteKind.Unknown, null, null, null, string.Empty, false);
        }

        foreach (var idLength in new[] { 2, 1 })
        {
            if (s.Count <= idLength || !ApiMarkers.Contains(s[idLength]))
            {
                continue;
            }

            var (org, model, bad) = RepoId_(s, idLength);
            var rest = s.Skip(idLength + 1).ToList();
            switch (s[idLength])
            {
                case "revision" when rest.Count == 1:
                    return new HubRoute(HubRouteKind.ModelInfo, org, model, Decode(rest[0]), string.Empty, bad);
                case "tree" when rest.Count >= 1:
                    return new HubRoute(HubRouteKind.Tree, org, model, Decode(rest[0]), JoinPath(rest.Skip(1)), bad);
                case "paths-info" when rest.Count == 1:
                    return new HubRoute(HubRouteKind.PathsInfo, org, model, Decode(rest[0]), string.Empty, bad);
                case "refs" when rest.Count == 0:
                    return new HubRoute(HubRouteKind.Refs, org, model, null, string.Empty, bad);
                default:
                    break;
            }
        }

        if (s.Count is 1 or 2)
        {
            var (org, model, bad) = RepoId_(s, s.Count);
            return new HubRoute(HubRouteKind.ModelInfo, org, model, null, string.Empty, bad);
        }

        return new HubRoute(HubRouteKind.Unknown, null, null, null, string.Empty, false);
    }

    /// <summary>The repo id from the first <paramref name="length"/> raw segments; a one-segment (legacy) id has no org.</summary>
    private static (string? Org, string? Model, bool Bad) RepoId_(List<string> s, int length)
    {
        // An encoded '/' (or any escape) inside the id is what the Hub rejects with 400: ids travel unencoded.
        var bad = s.Take(length).Any(x => x.Contains('%', StringComparison.Ordinal));
        return length == 2 ? (Decode(s[0]), Decode(s[1]), bad) : (null, Decode(s[0]), bad);
    }

    private static string JoinPath(IEnumerable<string> segments) => string.Join('/', segments.Select(Decode));

    private static string Decode(string segment)
    {
        try
        {
            return Uri.UnescapeDataString(segment);
        }
        catch (UriFormatException)
        {
            // Leaves the text as it came; validation downstream turns it into the Hub's not-found answer.
            return segment;
        }
    }
}
