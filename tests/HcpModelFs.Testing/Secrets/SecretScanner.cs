using System.Collections.Concurrent;
using System.Text;

namespace HcpModelFs.Testing.Secrets;

/// <summary>
/// The one place that knows the test run's secrets (RGW access and secret key, fake Hub tokens) and checks captured
/// output for them. Every <see cref="Processes.ProcessRunner"/> result and every <see cref="Processes.DaemonProcess"/>'s
/// stdout and stderr go through <see cref="ThrowIfLeaked"/>, so a secret printed by any command or daemon of any test
/// fails that test. A hit names the secret by its label and shows the line with the value masked: the failure message
/// lands in the test log, which is scanned too (scripts/scan-secrets.sh).
/// </summary>
public static class SecretScanner
{
    /// <summary>What scripts/rgw.sh creates (the fixture registers what it actually read, too).</summary>
    public const string RgwAccessKey = "HCPMODELFSTESTKEY000";

    public const string RgwSecretKey = "hcpmodelfs-test-secret-0000000000000000";

    private static readonly ConcurrentDictionary<string, string> Known = new(StringComparer.Ordinal)
    {
        [RgwAccessKey] = "the RGW access key",
        [RgwSecretKey] = "the RGW secret key",
        [Hub.ContractCatalog.Token] = "a fake Hub token",
        [Hub.ContractCatalog.OtherToken] = "a fake Hub token",
        [Hub.ContractCatalog.UnknownToken] = "an unknown Hub token",
    };

    /// <summary>Secrets shorter than this are not registered: they would match ordinary text.</summary>
    public const int MinimumLength = 8;

    public static IReadOnlyDictionary<string, string> Secrets => Known;

    /// <summary>Adds a secret of this run (a key a fixture read, a token a test made up).</summary>
    public static void Register(string? secret, string label)
    {
        if (secret is { Length: >= MinimumLength })
        {
            Known.TryAdd(secret, label);
        }
    }

    /// <summary>Every known secret found in <paramref name="text"/>, as "label: line with the value masked".</summary>
    public static IReadOnlyList<string> Scan(string? text) => Scan(text, Known);

    public static IReadOnlyList<string> Scan(string? text, IReadOnlyDictionary<string, string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var hits = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return hits;
        }

        foreach (var (secret, label) in secrets)
        {
            for (var at = text.IndexOf(secret, StringComparison.Ordinal); at >= 0; at = text.IndexOf(secret, at + secret.Length, StringComparison.Ordinal))
            {
                hits.Add($"{label}: {Mask(LineAround(text, at), secrets)}");
            }
        }

        return hits;
    }

    /// <summary>Throws <see cref="SecretLeakException"/> when any of <paramref name="texts"/> holds a known secret.</summary>
    public static void ThrowIfLeaked(string what, params string?[] texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var hits = texts.SelectMany(t => Scan(t)).ToList();
        if (hits.Count > 0)
        {
            throw new SecretLeakException(what, hits);
        }
    }

    /// <summary>Replaces every known secret in <paramref name="text"/> by "***".</summary>
    public static string Mask(string text) => Mask(text, Known);

    private static string Mask(string text, IReadOnlyDictionary<string, string> secrets)
    {
        var masked = new StringBuilder(text);
        foreach (var secret in secrets.Keys)
        {
            masked.Replace(secret, "***");
        }

        return masked.ToString();
    }

    private static string LineAround(string text, int at)
    {
        var start = text.LastIndexOf('\n', at) + 1;
        var end = text.IndexOf('\n', at);
        var line = end < 0 ? text[start..] : text[start..end];
        return line.Length > 300 ? line[..300] + "..." : line.TrimEnd('\r');
    }
}
