using System.Globalization;
using System.Security.Cryptography;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.Commands.Check;

/// <summary>
/// The store as the daemon will use it: a listing (which also proves the credentials), the capability detection the
/// catalog runs at start-up (exclusive create, multipart) and a byte-exact round trip of a small object under a scratch
/// key (whole and ranged GET), deleted afterwards.
/// </summary>
internal static class StoreChecks
{
    private const int ProbeSize = 64 * 1024;

    public static async Task<IReadOnlyList<CheckLine>> RunAsync(IObjectStore store, StoreLayout layout, bool signed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        var lines = new List<CheckLine>();
        try
        {
            var entries = 0;
            await foreach (var _ in store.ListAsync(layout.Prefix, "/", ct))
            {
                if (++entries >= 1000)
                {
                    break;
                }
            }

            lines.Add(CheckLine.Ok("credentials", signed ? "accepted" : "not needed (local directory)"));
            lines.Add(CheckLine.Ok("listing", string.Create(CultureInfo.InvariantCulture, $"{entries}{(entries >= 1000 ? "+" : string.Empty)} entries under '{layout.Prefix}'")));
        }
        catch (StoreException ex) when (ex.Kind == StoreErrorKind.AccessDenied)
        {
            lines.Add(CheckLine.Fail("credentials", $"refused by the store: {ex.Message} (HCP_ACCESS_KEY / HCP_SECRET_KEY)"));
            return lines;
        }
        catch (StoreException ex)
        {
            lines.Add(CheckLine.Fail("listing", $"{ex.Kind}: {ex.Message}"));
            return lines;
        }

        var scratch = layout.Prefix + StoreLayout.MetaFolder + "/check/";
        try
        {
            var capabilities = await store.DetectCapabilitiesAsync(scratch, ct);
            lines.Add(capabilities.SupportsLeases
                ? CheckLine.Ok("exclusive create", capabilities.ExclusiveCreate.ToString())
                : CheckLine.Fail("exclusive create", "the store overwrites an existing key on a conditional PUT: ingest leases are not safe"));
            lines.Add(capabilities.MultipartSupported
                ? CheckLine.Ok("multipart", capabilities.CompleteMultipartOmitsETag ? "supported (empty ETag on complete: handled)" : "supported")
                : CheckLine.Ok("multipart", "disabled on this namespace: whole-object PUTs are used"));
        }
        catch (StoreException ex)
        {
            lines.Add(CheckLine.Fail("exclusive create", $"capability probe failed: {ex.Kind}: {ex.Message}"));
        }

        lines.AddRange(await RoundTripAsync(store, scratch + "round-trip-" + Guid.NewGuid().ToString("N"), ct));
        return lines;
    }

    private static async Task<IReadOnlyList<CheckLine>> RoundTripAsync(IObjectStore store, string key, CancellationToken ct)
    {
        var content = RandomNumberGenerator.GetBytes(ProbeSize);
        var lines = new List<CheckLine>();
        try
        {
            await store.PutAsync(key, content, ct);
            var whole = new byte[ProbeSize];
            await store.ReadRangeAsync(key, 0, whole, null, ct);
            lines.Add(whole.AsSpan().SequenceEqual(content)
                ? CheckLine.Ok("round trip", $"{ProbeSize / 1024} KiB written and read back byte-exact")
                : CheckLine.Fail("round trip", "the bytes read back differ from the bytes written"));

            var range = new byte[4096];
            await store.ReadRangeAsync(key, 12_345, range, null, ct);
            lines.Add(range.AsSpan().SequenceEqual(content.AsSpan(12_345, range.Length))
                ? CheckLine.Ok("ranged get", "bytes 12345-16440 exact")
                : CheckLine.Fail("ranged get", "a ranged GET returned other bytes (the store ignores Range?)"));
        }
        catch (StoreException ex)
        {
            lines.Add(CheckLine.Fail("round trip", $"{ex.Kind}: {ex.Message}"));
        }
        finally
        {
            try
            {
                await store.DeleteAsync(key, CancellationToken.None);
            }
            catch (StoreException ex)
            {
                // HCP retention may forbid deletes; the scratch object is tiny and under the meta folder.
                lines.Add(CheckLine.Ok("cleanup", $"scratch object {key} left behind: {ex.Kind}"));
            }
        }

        return lines;
    }
}
