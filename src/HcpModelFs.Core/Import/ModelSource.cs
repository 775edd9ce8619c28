using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Import;

/// <summary>
/// A folder of files to copy into the managed layout in one pass per byte (<see cref="ModelImporter"/>): a prefix of
/// another store (`import`, <see cref="ImportSource"/>) or a local directory (`upload`, <see cref="FolderSource"/>).
/// </summary>
public abstract record ModelSource
{
    /// <summary>The folder as the user wrote it, for messages.</summary>
    public abstract string Url { get; }

    /// <summary>The manifest's <c>source</c> ("import", "upload"); also keeps the two kinds' commit ids apart.</summary>
    public abstract string Kind { get; }

    /// <summary>Where <paramref name="file"/> is, for messages.</summary>
    public abstract string UrlOf(SourceFile file);

    /// <summary>Every file <paramref name="include"/> keeps, in path order; a path a model cannot hold fails here, before anything is written.</summary>
    public abstract Task<IReadOnlyList<SourceFile>> ListAsync(Func<string, bool> include, CancellationToken cancellationToken);

    /// <summary>Readies reading the listed files (a store is probed for ranged reads once).</summary>
    internal abstract Task<SourceReader> OpenAsync(IReadOnlyList<SourceFile> files, ImportOptions options, ILogger logger, CancellationToken cancellationToken);
}

/// <summary>Opens each file's parts; <see cref="Ranged"/> false: parts come one at a time, in file order.</summary>
internal sealed class SourceReader(bool ranged, Func<SourceFile, IPartSource> open)
{
    public bool Ranged => ranged;

    public IPartSource Open(SourceFile file) => open(file);
}
