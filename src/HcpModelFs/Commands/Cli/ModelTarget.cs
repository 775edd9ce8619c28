using HcpModelFs.Core.Naming;

namespace HcpModelFs.Commands.Cli;

/// <summary>A command's `ORG`, `ORG/MODEL` or `ORG/MODEL@REV` argument, checked against the Hub's naming rules.</summary>
internal sealed record ModelTarget(string Org, string? Model, string? Revision)
{
    public string Text => Model is null ? Org : Org + "/" + Model + (Revision is null ? string.Empty : "@" + Revision);

    /// <summary>Parses <paramref name="text"/>; false with a one-line reason when it is not a valid name of the allowed shape.</summary>
    public static bool TryParse(string text, bool allowOrgOnly, bool allowRevision, out ModelTarget target, out string error)
    {
        target = new ModelTarget(string.Empty, null, null);
        var shape = allowOrgOnly ? "ORG or ORG/MODEL" : allowRevision ? "ORG/MODEL or ORG/MODEL@REVISION" : "ORG/MODEL";
        error = $"'{text}' is not {shape} with valid Hub names";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (!allowOrgOnly || !ModelName.IsValid(text))
            {
                return false;
            }

            target = new ModelTarget(text, null, null);
            return true;
        }

        if (slash == 0 || !ModelName.IsValid(text.AsSpan(0, slash)) || !ModelName.TryParseModelEntry(text[(slash + 1)..], out var model, out var revision)
            || (revision is not null && !allowRevision))
        {
            return false;
        }

        target = new ModelTarget(text[..slash], model, revision);
        return true;
    }
}
