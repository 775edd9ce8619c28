using HcpModelFs.Testing.Deployment;

namespace HcpModelFs.Tests.Deployment;

/// <summary>A fact skipped, with the reason shown, only when <c>tool</c> is not installed; where it is, it must run.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(string tool)
    {
        Tool = tool;
        if (!Tools.OnPath(tool))
        {
            Skip = $"{tool} is not installed on this machine, so this check cannot run here.";
        }
    }

    public string Tool { get; }
}
