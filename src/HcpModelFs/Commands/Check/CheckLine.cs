namespace HcpModelFs.Commands.Check;

internal enum CheckStatus
{
    Ok,
    Fail,

    /// <summary>Not attempted because something it needs failed (already reported on its own line).</summary>
    Skip,
}

/// <summary>One line of `hcpmodelfs check`: what was checked, the verdict and a detail a person can act on.</summary>
internal sealed record CheckLine(string Name, CheckStatus Status, string Detail)
{
    public static CheckLine Ok(string name, string detail) => new(name, CheckStatus.Ok, detail);

    public static CheckLine Fail(string name, string detail) => new(name, CheckStatus.Fail, detail);

    public static CheckLine Skip(string name, string detail) => new(name, CheckStatus.Skip, detail);
}
