using System.CommandLine;
using HcpModelFs.Commands;
using HcpModelFs.Store;

namespace HcpModelFs;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var envFile = GlobalOptions.EnvFile;
        var root = new RootCommand("hcpmodelfs: ML models from object storage (HCP, S3) as a read-only filesystem")
        {
            envFile,
            GlobalOptions.Config,
            GlobalOptions.LogFormat,
            GlobalOptions.LogLevel,
        };
        root.Subcommands.Add(MountCommand.Create(envFile));
        root.Subcommands.Add(UploadCommand.Create(envFile));
        root.Subcommands.Add(ImportCommand.Create(envFile));
        root.Subcommands.Add(PrefetchCommand.Create(envFile));
        root.Subcommands.Add(ServeCommand.Create(envFile));
        root.Subcommands.Add(ConfigCommand.Create(envFile));
        root.Subcommands.Add(CheckCommand.Create(envFile));
        root.Subcommands.Add(ExportCommand.Create(envFile));
        root.Subcommands.Add(LsCommand.Create(envFile));
        root.Subcommands.Add(InfoCommand.Create(envFile));
        root.Subcommands.Add(RmCommand.Create(envFile));
        root.Subcommands.Add(RefreshCommand.Create(envFile));
        root.Subcommands.Add(CacheCommand.Create(envFile));
        try
        {
            // Our own handler below turns configuration errors into one line and exit code 2. Signals are ShutdownSignal's
            // alone: the library's own SIGINT/SIGTERM handling could end the process before the unmount finishes.
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
            {
                // Bad usage is exit 2 with one line per mistake (the library's default is 1 and the whole help text).
                var verb = parse.CommandResult.Command == root ? string.Empty : " " + parse.CommandResult.Command.Name;
                foreach (var error in parse.Errors)
                {
                    // Some of the library's messages span lines (a list of allowed values): one line each, still.
                    var message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    await Console.Error.WriteLineAsync($"hcpmodelfs{verb}: {message} (see hcpmodelfs{verb} --help)");
                }

                return Commands.Cli.ExitCodes.BadUsage;
            }

            return await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (FormatException ex)
        {
            // Configuration errors name the setting, never a secret value.
            await Console.Error.WriteLineAsync("hcpmodelfs: " + ex.Message);
            return 2;
        }
        catch (StoreException ex)
        {
            // Store messages carry the operation, key and status, never credentials.
            await Console.Error.WriteLineAsync($"hcpmodelfs: object store error ({ex.Kind}): {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("hcpmodelfs: " + ex.Message);
            return 1;
        }
    }
}
