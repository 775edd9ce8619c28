using Microsoft.AspNetCore.Builder;

namespace HcpModelFs.Http;

/// <summary>
/// The one way this daemon builds a Kestrel host: configured in code only. The framework's defaults read
/// appsettings.json from the working directory (where a stray file could add Kestrel endpoints to a daemon that runs
/// as root) and watch that directory with inotify for the rest of the process's life.
/// </summary>
public static class KestrelBuilder
{
    public static WebApplicationBuilder Create() => WebApplication.CreateSlimBuilder(new WebApplicationOptions
    {
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
        ContentRootPath = AppContext.BaseDirectory,
    });
}
