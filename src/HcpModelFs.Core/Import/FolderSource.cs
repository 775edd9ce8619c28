using System.Globalization;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Transfer;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Import;

/// <summary>
/// A local directory as a model source (`hcpmodelfs upload`). A file's "ETag" is its size and modification time: the
/// commit id follows from the listing as an import's does, so an interrupted upload of an unchanged folder resumes
/// under the same keys, and each byte is read once (hashed and uploaded from the same buffer). A file that changes
/// while it is copied (size or modification time) fails the upload; nothing is committed.
/// </summary>
public sealed record FolderSource(string Directory) : ModelSource
{
    public string Root { get; } = System.IO.Path.GetFullPath(Directory);

    public override string Url => Root;

    public override string Kind => "upload";

    public override string UrlOf(SourceFile file) => file?.Key ?? throw new ArgumentNullException(nameof(file));

    public override Task<IReadOnlyList<SourceFile>> ListAsync(Func<string, bool> include, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(include);
        var files = new List<SourceFile>();
        foreach (var full in System.IO.Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = System.IO.Path.GetRelativePath(Root, full).Replace('\\', '/');
            if (!include(path))
            {
                continue;
            }

            if (!RelativePath.IsValid(path) || path.StartsWith(StoreLayout.MetaFolder, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Cannot publish '{path}': not a valid path inside a model.");
            }

            var info = new FileInfo(full);
            files.Add(new SourceFile(path, full, info.Length, VersionOf(info.Length, info.LastWriteTimeUtc)));
        }

        files.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return Task.FromResult<IReadOnlyList<SourceFile>>(files);
    }

    internal override Task<SourceReader> OpenAsync(IReadOnlyList<SourceFile> files, ImportOptions options, ILogger logger, CancellationToken cancellationToken) =>
        Task.FromResult(new SourceReader(true, file => new LocalPartSource(file)));

    internal static string VersionOf(long size, DateTime modifiedUtc) =>
        string.Create(CultureInfo.InvariantCulture, $"{size}-{modifiedUtc.Ticks}");
}

/// <summary>Parts read with pread from one open handle, at any offset and at once; each part checks the file is still the listed version.</summary>
internal sealed class LocalPartSource : IPartSource
{
    private readonly SourceFile _file;
    private readonly SafeFileHandle _handle;

    public LocalPartSource(SourceFile file)
    {
        _file = file;
        try
        {
            _handle = File.OpenHandle(file.Key, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException e)
        {
            throw SourceChangedException.ForFile(file.Key, e);
        }

        EnsureUnchanged();
    }

    public bool Concurrent => true;

    public async ValueTask FillAsync(FilePart part, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await RandomAccess.ReadAsync(_handle, buffer[done..], part.Offset + done, cancellationToken);
            if (n == 0)
            {
                throw SourceChangedException.ForFile(_file.Key);
            }

            done += n;
        }

        EnsureUnchanged();
    }

    public void Dispose() => _handle.Dispose();

    private void EnsureUnchanged()
    {
        if (FolderSource.VersionOf(RandomAccess.GetLength(_handle), File.GetLastWriteTimeUtc(_handle)) != _file.ETag)
        {
            throw SourceChangedException.ForFile(_file.Key);
        }
    }
}
