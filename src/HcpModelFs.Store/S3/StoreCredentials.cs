using Amazon.Runtime;
using HcpModelFs.Store.Configuration;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Store.S3;

/// <summary>
/// Credentials for signing. Values from files are re-read when a file's mtime or size changes (checked at most every
/// refresh interval, by <see cref="TimeProvider"/>), so a rotated key is used without a restart.
/// </summary>
internal sealed class StoreCredentials : AWSCredentials
{
    private readonly CredentialSource _accessKey;
    private readonly CredentialSource _secretKey;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private ImmutableCredentials? _current;
    private DateTimeOffset _lastCheck;
    private (DateTime, long) _accessStamp;
    private (DateTime, long) _secretStamp;

    public StoreCredentials(
        CredentialSource accessKey, CredentialSource secretKey, TimeProvider time, TimeSpan interval, ILogger logger)
    {
        _accessKey = accessKey;
        _secretKey = secretKey;
        _time = time;
        _interval = interval;
        _logger = logger;
    }

    public override ImmutableCredentials GetCredentials()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_current is null || now - _lastCheck >= _interval)
            {
                _lastCheck = now;
                var access = Stamp(_accessKey);
                var secret = Stamp(_secretKey);
                if (_current is null || access != _accessStamp || secret != _secretStamp)
                {
                    if (_current is not null)
                    {
                        LogMessages.CredentialsReloaded(_logger, _secretKey.FilePath ?? _accessKey.FilePath ?? "?");
                    }

                    _current = new ImmutableCredentials(Read(_accessKey), Read(_secretKey), null);
                    _accessStamp = access;
                    _secretStamp = secret;
                }
            }

            return _current;
        }
    }

    public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromResult(GetCredentials());

    private static (DateTime, long) Stamp(CredentialSource source)
    {
        if (source.FilePath is null)
        {
            return default;
        }

        var info = new FileInfo(source.FilePath);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }

    private static string Read(CredentialSource source)
    {
        if (source.Value is not null)
        {
            return source.Value.Reveal();
        }

        try
        {
            return File.ReadAllText(source.FilePath!).Trim();
        }
        catch (IOException e)
        {
            throw new StoreException(StoreErrorKind.AccessDenied, $"cannot read credentials file {source.FilePath}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StoreException(StoreErrorKind.AccessDenied, $"cannot read credentials file {source.FilePath}", e);
        }
    }
}
