using System.CommandLine;
using System.Globalization;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs cache stats|verify|clear`: this node's block cache. `stats` only looks (safe while a daemon runs);
/// `verify` and `clear` change files, so they take the cache directory's lock and refuse while a daemon holds it.
/// </summary>
internal static class CacheCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var command = new Command("cache", "Inspect, verify or clear this node's local block cache");
        command.Subcommands.Add(Sub(envFile, "stats", "Directory, size limit, bytes used, files, models and free disk (read-only)", Stats));
        command.Subcommands.Add(Sub(envFile, "verify", "Check every cached block against its recorded CRC32C and drop bad ones (exit 1 if any was bad)", Verify));
        command.Subcommands.Add(Sub(envFile, "clear", "Remove everything from the cache", Clear));
        return command;
    }

    private static Command Sub(Option<string?> envFile, string name, string description, Func<CliOutput, DaemonSettings, CancellationToken, int> run)
    {
        var cache = new CacheOptions();
        var json = CliOutput.JsonOption();
        var command = new Command(name, description) { cache.Directory, json };
        command.SetAction((parse, ct) =>
        {
            var output = new CliOutput("cache " + name, parse.GetValue(json));
            var settings = cache.ApplyDirectory(SettingsLoader.Load(parse, envFile).Settings, parse);
            if (!Directory.Exists(settings.CacheDirectory))
            {
                return Task.FromResult(output.Fail($"no cache directory at {Path.GetFullPath(settings.CacheDirectory)} (MODEL_CACHE_DIR / --cache-dir)"));
            }

            try
            {
                return Task.FromResult(run(output, settings, ct));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Task.FromResult(output.Fail("interrupted", ExitCodes.Interrupted));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Task.FromResult(output.Fail(ex.Message));
            }
        });
        return command;
    }

    private static int Stats(CliOutput output, DaemonSettings settings, CancellationToken ct)
    {
        var snapshot = CacheInspector.Inspect(settings.CacheDirectory);
        var layout = new StoreLayout(settings.Store.Prefix);
        var models = snapshot.Objects
            .GroupBy(o => ModelOf(layout, o.Key), StringComparer.Ordinal)
            .Select(g => new ModelUse(g.Key, g.Count(), g.Sum(o => o.PresentBytes)))
            .OrderByDescending(m => m.Bytes)
            .ToList();
        var free = new DriveInfo(snapshot.Directory).AvailableFreeSpace;
        var stats = new StatsDocument(
            snapshot.Directory, settings.CacheMaxBytes, snapshot.PresentBytes, snapshot.Objects.Count, snapshot.UnreadableSidecars, free, models);
        if (output.IsJson)
        {
            output.WriteJson(stats);
            return ExitCodes.Ok;
        }

        output.WriteLine($"directory:  {stats.Directory}");
        output.WriteLine($"size limit: {(stats.SizeLimit is { } max ? ByteSize.Format(max) : "none (keeps 10 % of the disk free)")}");
        output.WriteLine($"used:       {ByteSize.Format(stats.BytesUsed)} in {stats.Files} cached files" +
            (stats.UnreadableSidecars > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({stats.UnreadableSidecars} unreadable sidecars)") : string.Empty));
        output.WriteLine($"free disk:  {ByteSize.Format(stats.FreeDisk)}");
        output.WriteLine(string.Empty);
        var table = new TextTable("MODEL", "FILES", "CACHED");
        models.ForEach(m => table.Add(m.Model, m.Files.ToString(CultureInfo.InvariantCulture), ByteSize.Format(m.Bytes)));
        table.WriteTo(output.Out);
        return ExitCodes.Ok;
    }

    private static int Verify(CliOutput output, DaemonSettings settings, CancellationToken ct)
    {
        using var directoryLock = CacheLocking.TryAcquire(output, settings, out var refusal);
        if (directoryLock is null)
        {
            return refusal;
        }

        var result = new CacheMaintenance(directoryLock).Verify(ct);
        if (output.IsJson)
        {
            output.WriteJson(new { Directory = directoryLock.Directory, result.Objects, result.BlocksChecked, result.BlocksBad, result.BytesDropped, result.ObjectsRemoved });
        }
        else
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"checked {result.BlocksChecked} blocks of {result.Objects} files in {directoryLock.Directory}: {result.BlocksBad} bad (dropped, {ByteSize.Format(result.BytesDropped)}), {result.ObjectsRemoved} unreadable files removed"));
        }

        return result.BlocksBad > 0 || result.ObjectsRemoved > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static int Clear(CliOutput output, DaemonSettings settings, CancellationToken ct)
    {
        using var directoryLock = CacheLocking.TryAcquire(output, settings, out var refusal);
        if (directoryLock is null)
        {
            return refusal;
        }

        var (objects, bytes) = new CacheMaintenance(directoryLock).Clear();
        if (output.IsJson)
        {
            output.WriteJson(new { Directory = directoryLock.Directory, Files = objects, Bytes = bytes });
        }
        else
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"removed {objects} cached files ({ByteSize.Format(bytes)}) from {directoryLock.Directory}"));
        }

        return ExitCodes.Ok;
    }

    /// <summary>"org/model" of a store key in the managed or plain layout; keys outside the prefix are "(other)".</summary>
    private static string ModelOf(StoreLayout layout, string key)
    {
        if (!key.StartsWith(layout.Prefix, StringComparison.Ordinal))
        {
            return "(other)";
        }

        var parts = key[layout.Prefix.Length..].Split('/', 3);
        return parts.Length == 3 ? parts[0] + "/" + parts[1] : "(other)";
    }

    private sealed record ModelUse(string Model, int Files, long Bytes);

    private sealed record StatsDocument(
        string Directory, long? SizeLimit, long BytesUsed, int Files, int UnreadableSidecars, long FreeDisk, IReadOnlyList<ModelUse> Models);
}
