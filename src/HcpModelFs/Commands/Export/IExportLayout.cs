using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Commands.Export;

/// <summary>Where the files of one exported revision go: the plain tree or the Hugging Face cache layout.</summary>
internal interface IExportLayout
{
    /// <summary>The folder a person or a tool is pointed at for this model.</summary>
    string ModelPath { get; }

    Task WriteFileAsync(RevisionFile file, StoreFileCopier copier, Action<long> progress, CancellationToken ct);

    /// <summary>After every file: whatever makes the export visible as a whole (refs of the cache layout).</summary>
    Task CompleteAsync(CancellationToken ct);
}
