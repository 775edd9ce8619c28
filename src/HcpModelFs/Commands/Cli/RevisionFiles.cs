using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Commands.Cli;

/// <summary>A revision's files in path order, and how much of them this node's cache holds.</summary>
internal static class RevisionFiles
{
    public static IEnumerable<RevisionFile> All(ModelRevision revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var stack = new Stack<RevisionDirectory>([revision.Root]);
        var files = new List<RevisionFile>();
        while (stack.TryPop(out var directory))
        {
            foreach (var child in directory.Directories.Values)
            {
                stack.Push(child);
            }

            files.AddRange(directory.Files.Values);
        }

        return files.OrderBy(f => f.Path, StringComparer.Ordinal);
    }

    public static long CachedBytes(CacheSnapshot cache, ModelRevision revision) =>
        All(revision).Sum(f => Math.Min(f.Size, cache.PresentBytesOf(f.CacheId)));

    /// <summary>Whole percent, rounded down so 100 means complete; an empty revision counts as complete.</summary>
    public static int Percent(long part, long total) => total <= 0 ? 100 : (int)(part * 100 / total);
}
