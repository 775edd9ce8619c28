namespace HcpModelFs.Hub;

/// <summary>
/// Settings of <see cref="Http.HttpModelHub"/>. <see cref="FromEnvironment"/> binds the Hugging Face variables as a
/// pure function; <see cref="ResolveToken"/> is the only member that touches the file system.
/// <see cref="ToString"/> never prints the token.
/// </summary>
public sealed class HubOptions
{
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co");

    /// <summary>Base URL of the Hub (HF_ENDPOINT). A path prefix is allowed (mirrors).</summary>
    public Uri Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>Access token (HF_TOKEN). Sent only to <see cref="Endpoint"/>'s own scheme, host and port.</summary>
    public string? Token { get; set; }

    /// <summary>File holding the token when <see cref="Token"/> is not set (HF_TOKEN_PATH, HF_TOKEN_FILE).</summary>
    public string? TokenPath { get; set; }

    /// <summary>Time allowed for a response's headers to arrive, per attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a body may go without delivering a byte before the attempt is abandoned (stall).</summary>
    public TimeSpan ReadIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt for transient failures (408/429/5xx, resets, stalls).</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First backoff delay; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of one backoff delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>A Retry-After / RateLimit wait longer than this is not waited for: the call fails RateLimited.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Failed attempts (all failing, within <see cref="CircuitSamplingDuration"/>) after which calls fail fast with
    /// <see cref="HubErrorKind.Unavailable"/> for <see cref="CircuitBreakDuration"/>. At least 2; 0 disables.
    /// </summary>
    public int CircuitMinimumThroughput { get; set; } = 10;

    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Redirect hops followed per request.</summary>
    public int MaxRedirects { get; set; } = 10;

    /// <summary>How long a signed URL without a recognisable expiry (and a direct Hub location) is reused.</summary>
    public TimeSpan LocationDefaultTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A signed URL is dropped this long before it expires.</summary>
    public TimeSpan SignedUrlSafetyMargin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Files up to this size are fetched with plain GETs (no Range): resolve-cache/CloudFront may compress or drop
    /// Accept-Ranges for small text files. Larger files are always read with ranged GETs.
    /// </summary>
    public long RangedReadThreshold { get; set; } = 1024 * 1024;

    /// <summary>When a server ignores Range (200 instead of 206), at most this many leading bytes are skipped.</summary>
    public long MaxSkipOnIgnoredRange { get; set; } = 16L * 1024 * 1024;

    /// <summary>Resumptions of one read after a truncated body that still delivered bytes.</summary>
    public int MaxResumes { get; set; } = 1000;

    /// <summary>Verify sha256 (LFS) or git sha1 (regular) when one read covers a whole file.</summary>
    public bool VerifyWholeFileReads { get; set; } = true;

    /// <summary>Pooled connections per server.</summary>
    public int MaxConnectionsPerServer { get; set; } = 16;

    /// <summary>
    /// Binds HF_ENDPOINT (default https://huggingface.co, trailing '/' dropped), HF_TOKEN, HF_TOKEN_PATH /
    /// HF_TOKEN_FILE (default $HF_HOME/token, HF_HOME default $XDG_CACHE_HOME/huggingface or
    /// ~/.cache/huggingface). Pure: reads only <paramref name="environment"/>.
    /// </summary>
    public static HubOptions FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) =>
            environment.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var options = new HubOptions();
        var endpoint = Get("HF_ENDPOINT");
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new FormatException($"HF_ENDPOINT '{endpoint}' is not an absolute http(s) URL.");
            }

            options.Endpoint = uri;
        }

        options.Token = Get("HF_TOKEN");
        options.TokenPath = Get("HF_TOKEN_PATH") ?? Get("HF_TOKEN_FILE");
        if (options.TokenPath is null)
        {
            var hfHome = Get("HF_HOME");
            if (hfHome is null)
            {
                var xdg = Get("XDG_CACHE_HOME");
                var home = Get("HOME");
                var cache = xdg ?? (home is null ? null : Path.Combine(home, ".cache"));
                hfHome = cache is null ? null : Path.Combine(cache, "huggingface");
            }

            options.TokenPath = hfHome is null ? null : Path.Combine(hfHome, "token");
        }

        return options;
    }

    /// <summary>Binds from the process environment.</summary>
    public static HubOptions FromProcessEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = e.Value as string;
        }

        return FromEnvironment(env);
    }

    /// <summary><see cref="Token"/>, else the first line of <see cref="TokenPath"/> if that file exists, else null.</summary>
    public string? ResolveToken()
    {
        if (!string.IsNullOrEmpty(Token))
        {
            return Token;
        }

        if (TokenPath is null || !File.Exists(TokenPath))
        {
            return null;
        }

        var text = File.ReadAllText(TokenPath).Trim();
        return text.Length == 0 ? null : text;
    }

    public override string ToString() =>
        $"HubOptions {{ Endpoint = {Endpoint}, Token = {(string.IsNullOrEmpty(Token) ? "(none)" : "***")}, " +
        $"TokenPath = {TokenPath ?? "(none)"}, MaxRetries = {MaxRetries} }}";
}
