using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Commands.Export;

/// <summary>`DIR/ORG/MODEL/PATH`: the files as the mount shows them. Each is written under a hidden temporary name first.</summary>
internal sealed class PlainLayout(string root, string org, string model) : IExportLayout
{
    public string ModelPath { get; } = Path.Combine(root, org, model);

    public async Task WriteFileAsync(RevisionFile file, StoreFileCopier copier, Action<long> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(copier);
        var target = Path.Combine(ModelPath, file.Path);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{file.Name}.{TemporaryNames.Suffix()}.partial");
        await copier.CopyAsync(file, temporary, target, progress, ct);
    }

    public Task CompleteAsync(CancellationToken ct) => Task.CompletedTask;
}
