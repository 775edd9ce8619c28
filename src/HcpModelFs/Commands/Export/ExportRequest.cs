using HcpModelFs.Core.Naming;

namespace HcpModelFs.Commands.Export;

/// <summary>One model to export: ORG/MODEL[@REV] and the globs that choose its files.</summary>
internal sealed record ExportRequest(string Org, string Model, string? Revision, GlobFilter Filter)
{
    public string Text => Revision is null ? $"{Org}/{Model}" : $"{Org}/{Model}@{Revision}";

    /// <summary>Parses ORG/MODEL or ORG/MODEL@REVISION (Hub naming rules), or null.</summary>
    public static ExportRequest? TryParse(string name, GlobFilter filter)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !ModelName.IsValid(name.AsSpan(0, slash)) || !ModelName.TryParseModelEntry(name[(slash + 1)..], out var model, out var revision))
        {
            return null;
        }

        return new ExportRequest(name[..slash], model, revision, filter);
    }
}
