using System.Reflection;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Tests;

/// <summary>Every [LoggerMessage] of our assemblies has an event id of its own, inside its area's range (docs/OPERATIONS.md).</summary>
public sealed class LogEventIdTests
{
    /// <summary>The table of docs/OPERATIONS.md: the type that declares the events, and its range.</summary>
    private static readonly Dictionary<string, (int From, int To)> Ranges = new(StringComparer.Ordinal)
    {
        ["HcpModelFs.Fuse.LogMessages"] = (1000, 1999),
        ["HcpModelFs.Store.LogMessages"] = (2000, 2999),
        ["HcpModelFs.Core.CoreLog"] = (3000, 3099),
        ["HcpModelFs.Core.Ingest.IngestLog"] = (3100, 3199),
        ["HcpModelFs.Core.Cache.CacheLogMessages"] = (3200, 3299),
        ["HcpModelFs.Core.Import.ImportLog"] = (3300, 3399),
        ["HcpModelFs.Hub.LogMessages"] = (4000, 4999),
        ["HcpModelFs.Http.HttpLog"] = (5000, 5999),
        ["HcpModelFs.Hosting.DaemonLog"] = (6000, 6099),
        ["HcpModelFs.Hosting.PrefetchLog"] = (6100, 6199),
        ["HcpModelFs.Hosting.ExportLog"] = (6200, 6299),
        ["HcpModelFs.Hosting.UploadLog"] = (6300, 6399),
        ["HcpModelFs.Hosting.ImportCommandLog"] = (6400, 6499),
    };

    private static IEnumerable<(string Type, string Method, int Id)> Events()
    {
        Assembly[] ours =
        [
            typeof(Program).Assembly,
            typeof(Core.FileSystem.ModelFileSystem).Assembly,
            typeof(Fuse.Session.FuseSession).Assembly,
            typeof(Store.IObjectStore).Assembly,
            typeof(Hub.IModelHub).Assembly,
            typeof(Http.HubEndpoint).Assembly,
        ];
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        return from assembly in ours
               from type in assembly.GetTypes()
               from method in type.GetMethods(all)
               let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
               where attribute is not null
               select (type.FullName!, method.Name, attribute.EventId);
    }

    [Fact]
    public void Every_event_id_is_unique_across_our_assemblies()
    {
        var events = Events().ToList();
        Assert.True(events.Count > 50, $"found only {events.Count} [LoggerMessage] methods: is the reflection looking in the right place?");
        var duplicates = events.GroupBy(e => e.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Type + "." + e.Method))}").ToList();
        Assert.True(duplicates.Count == 0, "event ids used twice:\n" + string.Join('\n', duplicates));
    }

    [Fact]
    public void Every_event_id_lies_in_the_range_of_its_area()
    {
        var outside = new List<string>();
        foreach (var (type, method, id) in Events())
        {
            if (!Ranges.TryGetValue(type, out var range))
            {
                outside.Add($"{type}.{method} ({id}): the type has no range in docs/OPERATIONS.md");
            }
            else if (id < range.From || id > range.To)
            {
                outside.Add($"{type}.{method} ({id}): outside {range.From}-{range.To}");
            }
        }

        Assert.True(outside.Count == 0, string.Join('\n', outside));
    }
}
