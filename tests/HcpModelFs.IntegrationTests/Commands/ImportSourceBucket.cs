using System.Globalization;
using Amazon.S3.Model;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// A second bucket in the test RGW playing the other S3-compatible store `import` reads from: objects written under a
/// prefix of its own, deleted again by <see cref="CleanUpAsync"/>.
/// </summary>
internal sealed class ImportSourceBucket(RgwFixture rgw, string prefix)
{
    public const string Name = "hcpmodelfs-import-src";
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    public string Prefix { get; } = prefix;

    public string Url => $"s3://{Name}/{Prefix}";

    public Task CreateAsync() => rgw.CreateBucketAsync(Name);

    public async Task<string> PutAsync(string path, byte[] content)
    {
        using var cts = new CancellationTokenSource(Bounded);
        using var stream = new MemoryStream(content, writable: false);
        var response = await rgw.AdminClient.PutObjectAsync(new PutObjectRequest { BucketName = Name, Key = Prefix + path, InputStream = stream }, cts.Token);
        return response.ETag;
    }

    /// <summary>The object's bytes and ETag, as a server that ignores Range would send them (S3FaultProxy.WholeObjectSource).</summary>
    public async Task<(byte[] Body, string ETag)> GetWholeAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        using var response = await rgw.AdminClient.GetObjectAsync(bucket, key, cancellationToken);
        using var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body, cancellationToken);
        return (body.ToArray(), response.ETag);
    }

    /// <summary>The variables that point `import` at this bucket (through <paramref name="endpoint"/>, e.g. a fault proxy).</summary>
    public Dictionary<string, string> Environment(Uri endpoint) => new(StringComparer.Ordinal)
    {
        ["HCPMODELFS_SOURCE_ENDPOINT"] = endpoint.ToString(),
        ["HCPMODELFS_SOURCE_ACCESS_KEY"] = rgw.AccessKey,
        ["HCPMODELFS_SOURCE_SECRET_KEY"] = rgw.SecretKey,
        ["HCPMODELFS_SOURCE_REGION"] = rgw.Region,
    };

    /// <summary>Bytes of object data the proxy's log shows GETs asking for (a GET without Range counted as the whole <paramref name="sizes"/> entry).</summary>
    public static long RequestedBytes(S3FaultProxy proxy, IReadOnlyDictionary<string, long> sizes) =>
        proxy.Requests.Where(r => FaultRule.DataGet(r) && r.Bucket == Name && r.Status is 200 or 206).Sum(r =>
        {
            if (r.Range is not { } range)
            {
                return sizes.GetValueOrDefault(r.Key!);
            }

            var bounds = range["bytes=".Length..].Split('-');
            return long.Parse(bounds[1], CultureInfo.InvariantCulture) - long.Parse(bounds[0], CultureInfo.InvariantCulture) + 1;
        });

    public async Task CleanUpAsync()
    {
        using var cts = new CancellationTokenSource(Bounded);
        var listing = await rgw.AdminClient.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Name, Prefix = Prefix }, cts.Token);
        foreach (var o in listing.S3Objects ?? [])
        {
            await rgw.AdminClient.DeleteObjectAsync(Name, o.Key, cts.Token);
        }
    }
}
