namespace HcpModelFs.Store;

/// <summary>One listing entry: an object, or a common prefix (<see cref="IsPrefix"/>, then only <see cref="Key"/> is set).</summary>
public sealed record ListEntry(string Key, bool IsPrefix, long Size, string ETag, DateTimeOffset LastModified)
{
    public static ListEntry Prefix(string prefix) => new(prefix, true, 0, string.Empty, default);

    public static ListEntry ForObject(ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new(info.Key, false, info.Size, info.ETag, info.LastModified);
    }
}
