using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>What a mount test leaves behind and must clean up: temp directories and its key prefix in the store.</summary>
internal sealed class MountTestScratch(RgwFixture rgw, string prefix)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly List<string> _directories = [];

    public string Prefix { get; } = prefix;

    public string NewDirectory(string what)
    {
        var dir = Directory.CreateTempSubdirectory($"hcpfs-{what}-").FullName;
        _directories.Add(dir);
        return dir;
    }

    /// <summary>Deletes every object and unfinished upload below the prefix, then the directories.</summary>
    public async Task CleanUpAsync()
    {
        using var store = rgw.CreateStore();
        using var cts = new CancellationTokenSource(Bounded);
        var uploads = new List<(string Key, string UploadId)>();
        await foreach (var upload in store.ListMultipartUploadsAsync(Prefix, cts.Token))
        {
            uploads.Add((upload.Key, upload.UploadId));
        }

        foreach (var (key, uploadId) in uploads)
        {
            await store.AbortMultipartAsync(key, uploadId, cts.Token);
        }

        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(Prefix, null, cts.Token))
        {
            keys.Add(entry.Key);
        }

        foreach (var key in keys)
        {
            await store.DeleteAsync(key, cts.Token);
        }

        foreach (var dir in _directories)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A directory still busy (a mount point the fixture just detached lazily) is left to the OS temp cleanup.
            }
        }
    }
}
