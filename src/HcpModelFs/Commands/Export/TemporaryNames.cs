using System.Security.Cryptography;

namespace HcpModelFs.Commands.Export;

internal static class TemporaryNames
{
    /// <summary>Eight hex digits, as huggingface_hub's `.incomplete` names: two exports never share a temporary file.</summary>
    public static string Suffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>Writes a small file whole or not at all (temp + rename).</summary>
    public static async Task WriteAtomicallyAsync(string path, string content, CancellationToken ct)
    {
        var temporary = path + "." + Suffix() + ".tmp";
        await File.WriteAllTextAsync(temporary, content, ct);
        File.Move(temporary, path, overwrite: true);
    }
}
