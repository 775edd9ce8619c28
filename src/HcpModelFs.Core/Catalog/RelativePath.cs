namespace HcpModelFs.Core.Catalog;

/// <summary>
/// A path inside a revision that is safe to show and to join to a key: '/'-separated, no empty, "." or ".."
/// segments, no NUL, each segment at most 255 bytes (what the kernel can name).
/// </summary>
public static class RelativePath
{
    public static bool IsValid(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || System.Text.Encoding.UTF8.GetByteCount(segment) > 255)
            {
                return false;
            }
        }

        return true;
    }
}
