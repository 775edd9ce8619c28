using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HcpModelFs.Testing.Store;

/// <summary>
/// A small HTTP/1.1 reverse proxy on 127.0.0.1:0 in front of an S3 server (RGW), for fault tests and request
/// counting. Requests are relayed byte for byte (Host header included), so SigV4 signatures stay valid: the client
/// signs the proxy's host:port and RGW checks the signature against the Host header it receives, which is the same.
/// Each client connection gets its own upstream connection. Rules (<see cref="AddRule"/>) inject 503 SlowDown, 429 +
/// Retry-After, 500, a reset or a clean close mid-body, latency, a stall, or no answer at all; <see cref="SetDown"/> takes
/// the whole store away (every connection reset) and brings it back. <see cref="HcpPersonality"/> answers
/// 409 Conflict to any write of an existing key (PUT, copy, CompleteMultipartUpload), so If-None-Match never gets a
/// say, as on HCP. With no rules it is a pass-through whose <see cref="Requests"/> log counts data GETs.
/// Bounded: every connection ends when the proxy is disposed; stalls wait at most their delay.
/// </summary>
public sealed class S3FaultProxy : IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private readonly TcpListener _listener;
    private readonly DnsEndPoint _upstream;
    private readonly Func<string, string, CancellationToken, Task<bool>>? _exists;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly ConcurrentDictionary<Socket, bool> _sockets = new();
    private readonly ConcurrentDictionary<Socket, bool> _clients = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _keyLocks = new(StringComparer.Ordinal);
    private readonly List<FaultRule> _rules = [];
    private readonly ConcurrentQueue<ProxyRequest> _log = new();
    private readonly Random _random = new(12345);
    private readonly Task _acceptLoop;
    private volatile bool _down;
    private long _refused;

    private event Action<ProxyRequest>? RequestLogged;

    /// <param name="upstream">The S3 server, e.g. RGW's endpoint.</param>
    /// <param name="exists">(bucket, key) -> does it exist; needed only for <see cref="HcpPersonality"/>.</param>
    public S3FaultProxy(Uri upstream, Func<string, string, CancellationToken, Task<bool>>? exists = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        _upstream = new DnsEndPoint(upstream.Host, upstream.Port);
        _exists = exists;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(256);
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Endpoint { get; }

    /// <summary>409 Conflict on every write to an existing key; If-None-Match ignored (HCP default namespace).</summary>
    public bool HcpPersonality { get; set; }

    /// <summary>(bucket, key) -> the object's bytes and ETag, for <see cref="FaultKind.IgnoreRange"/>.</summary>
    public Func<string, string, CancellationToken, Task<(byte[] Body, string ETag)>>? WholeObjectSource { get; set; }

    /// <summary>Every request seen, in arrival order.</summary>
    public IReadOnlyList<ProxyRequest> Requests => _log.ToArray();

    public int Count(Func<ProxyRequest, bool> predicate) => _log.Count(predicate);

    /// <summary>
    /// Completes when a request matching <paramref name="predicate"/> arrives (or has arrived since the last
    /// <see cref="ClearLog"/>); throws <see cref="TimeoutException"/> after <paramref name="timeout"/>. Logged before
    /// any fault acts, so "the daemon has asked the store" is known while a Latency or Stall rule still holds the answer.
    /// </summary>
    public async Task<ProxyRequest> WaitForRequestAsync(Func<ProxyRequest, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var seen = new TaskCompletionSource<ProxyRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRequest(ProxyRequest r)
        {
            if (predicate(r))
            {
                seen.TrySetResult(r);
            }
        }

        RequestLogged += OnRequest;
        try
        {
            if (_log.FirstOrDefault(predicate) is { } already)
            {
                return already;
            }

            return await seen.Task.WaitAsync(timeout);
        }
        finally
        {
            RequestLogged -= OnRequest;
        }
    }

    public void ClearLog() => _log.Clear();

    /// <summary>Whether the store is "down": every connection, open or new, is reset at once (<see cref="SetDown"/>).</summary>
    public bool Down => _down;

    /// <summary>Connections reset because the proxy was down (each one a fault that fired).</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>
    /// Down: resets every open connection now and every new one as it arrives, as a store whose service is gone
    /// (connection refused/reset; requests never reach the log). Up again: connections are relayed as before.
    /// </summary>
    public void SetDown(bool down)
    {
        _down = down;
        if (down)
        {
            foreach (var s in _clients.Keys)
            {
                Reset(s);
            }

            foreach (var s in _sockets.Keys)
            {
                s.Dispose();
            }
        }
    }

    public void AddRule(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Remaining = rule.Times;
        lock (_rules)
        {
            _rules.Add(rule);
        }
    }

    public void ClearRules()
    {
        lock (_rules)
        {
            _rules.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var s in _sockets.Keys)
        {
            s.Dispose();
        }

        try
        {
            await Task.WhenAll(_connections.Keys.Append(_acceptLoop)).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_down)
            {
                Reset(client);
                continue;
            }

            var task = Task.Run(() => HandleConnectionAsync(client));
            _connections[task] = true;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task HandleConnectionAsync(Socket clientSocket)
    {
        Socket? upstreamSocket = null;
        _sockets[clientSocket] = true;
        _clients[clientSocket] = true;
        if (_down)
        {
            _sockets.TryRemove(clientSocket, out _);
            _clients.TryRemove(clientSocket, out _);
            Reset(clientSocket);
            return;
        }

        try
        {
            clientSocket.NoDelay = true;
            await using var clientStream = new NetworkStream(clientSocket, ownsSocket: false);
            var client = new BufferedReader(clientStream);
            BufferedReader? upstream = null;
            NetworkStream? upstreamStream = null;
            var token = _stop.Token;
            while (!token.IsCancellationRequested)
            {
                var head = await client.ReadHeadAsync(token);
                if (head is null)
                {
                    return;
                }

                var request = HttpHead.Parse(head);
                var entry = Describe(request);
                _log.Enqueue(entry);
                RequestLogged?.Invoke(entry);
                var rule = PickRule(entry);
                entry.Fault = rule?.Kind;

                SemaphoreSlim? keyLock = null;
                try
                {
                    if (HcpPersonality && IsObjectWrite(request, entry) && _exists is not null)
                    {
                        keyLock = _keyLocks.GetOrAdd(entry.Bucket + "/" + entry.Key, _ => new SemaphoreSlim(1, 1));
                        await keyLock.WaitAsync(token);
                        if (await _exists(entry.Bucket!, entry.Key!, token))
                        {
                            entry.Status = 409;
                            if (!await AnswerAsync(client, clientStream, request, 409, "Conflict", "ObjectAlreadyExists",
                                    "The object already exists and cannot be overwritten.", null, token))
                            {
                                return;
                            }

                            continue;
                        }
                    }

                    switch (rule?.Kind)
                    {
                        case FaultKind.SlowDown:
                        case FaultKind.TooManyRequests:
                        case FaultKind.InternalError:
                        case FaultKind.ErrorInOk:
                        case FaultKind.NotImplemented:
                        case FaultKind.Forbidden:
                        case FaultKind.RangeNotSatisfiable:
                            var (status, reason, code) = rule.Kind switch
                            {
                                FaultKind.RangeNotSatisfiable => (416, "Range Not Satisfiable", "InvalidRange"),
                                FaultKind.Forbidden => (403, "Forbidden", "AccessDenied"),
                                FaultKind.NotImplemented => (501, "Not Implemented", "NotImplemented"),
                                FaultKind.ErrorInOk => (200, "OK", "InternalError"),
                                FaultKind.SlowDown => (503, "Slow Down", "SlowDown"),
                                FaultKind.TooManyRequests => (429, "Too Many Requests", "TooManyRequests"),
                                _ => (500, "Internal Server Error", "InternalError"),
                            };
                            entry.Status = status;
                            if (!await AnswerAsync(client, clientStream, request, status, reason, code, "Injected by the fault proxy.",
                                    rule.Kind == FaultKind.TooManyRequests || rule.WithRetryAfter ? rule.RetryAfterSeconds : null, token))
                            {
                                return;
                            }

                            continue;
                        case FaultKind.Latency:
                            await Task.Delay(rule.Delay, token);
                            break;
                        case FaultKind.Callback:
                            await rule.Callback!(entry);
                            break;
                        case FaultKind.IgnoreRange when WholeObjectSource is not null && entry.Key is not null:
                            var (body, etag) = await WholeObjectSource(entry.Bucket!, entry.Key, token);
                            entry.Status = 200;
                            await client.CopyBodyAsync(request, Stream.Null, long.MaxValue, token);
                            await clientStream.WriteAsync(Encoding.ASCII.GetBytes(
                                $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n" +
                                $"ETag: {etag}\r\nLast-Modified: {DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture)}\r\nx-amz-request-id: proxy\r\n\r\n"), token);
                            await clientStream.WriteAsync(body, token);
                            continue;
                        case FaultKind.NoAnswer:
                            // Hold the connection, answer nothing; the client's close (its timeout) or disposal ends it.
                            entry.Status = 0;
                            while (await clientStream.ReadAsync(new byte[1], token) > 0)
                            {
                            }

                            return;
                    }

                    if (upstream is null)
                    {
                        upstreamSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        _sockets[upstreamSocket] = true;
                        await upstreamSocket.ConnectAsync(_upstream, token);
                        upstreamStream = new NetworkStream(upstreamSocket, ownsSocket: false);
                        upstream = new BufferedReader(upstreamStream);
                    }

                    var keepGoing = await ForwardAsync(request, entry, rule, client, clientStream, clientSocket,
                        upstream, upstreamStream!, token);
                    if (!keepGoing)
                    {
                        return;
                    }
                }
                finally
                {
                    keyLock?.Release();
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException
            or FormatException)
        {
            // Connection over.
        }
        finally
        {
            _sockets.TryRemove(clientSocket, out _);
            _clients.TryRemove(clientSocket, out _);
            clientSocket.Dispose();
            if (upstreamSocket is not null)
            {
                _sockets.TryRemove(upstreamSocket, out _);
                upstreamSocket.Dispose();
            }
        }
    }

    /// <summary>Relays one exchange; false = the connection is finished (fault or close).</summary>
    private static async Task<bool> ForwardAsync(HttpHead request, ProxyRequest entry, FaultRule? rule,
        BufferedReader client, NetworkStream clientStream, Socket clientSocket, BufferedReader upstream,
        NetworkStream upstreamStream, CancellationToken token)
    {
        await upstreamStream.WriteAsync(request.Raw, token);
        HttpHead response;
        if (request.ExpectContinue)
        {
            response = HttpHead.Parse(await upstream.ReadHeadAsync(token) ?? throw new IOException("upstream closed"));
            if (response.Status == 100)
            {
                await clientStream.WriteAsync(response.Raw, token);
                await client.CopyBodyAsync(request, upstreamStream, long.MaxValue, token);
                response = HttpHead.Parse(await upstream.ReadHeadAsync(token) ?? throw new IOException("upstream closed"));
            }
            else
            {
                // Final answer before the body: relay it and close (the client never sent the body).
                entry.Status = response.Status;
                await clientStream.WriteAsync(response.Raw, token);
                await upstream.CopyBodyAsync(response, clientStream, long.MaxValue, token, request.Method == "HEAD");
                return false;
            }
        }
        else
        {
            await client.CopyBodyAsync(request, upstreamStream, long.MaxValue, token);
            response = HttpHead.Parse(await upstream.ReadHeadAsync(token) ?? throw new IOException("upstream closed"));
            while (response.Status == 100)
            {
                response = HttpHead.Parse(await upstream.ReadHeadAsync(token) ?? throw new IOException("upstream closed"));
            }
        }

        entry.Status = response.Status;
        await clientStream.WriteAsync(response.Raw, token);
        var isHead = request.Method == "HEAD";
        switch (rule?.Kind)
        {
            case FaultKind.ResetMidBody:
            case FaultKind.TruncateBody:
            case FaultKind.Stall:
                await upstream.CopyBodyAsync(response, clientStream, rule.AfterBytes, token, isHead);
                if (rule.Kind == FaultKind.Stall)
                {
                    await Task.Delay(rule.Delay, token);
                }

                if (rule.Kind == FaultKind.TruncateBody)
                {
                    clientSocket.Shutdown(SocketShutdown.Send);
                }
                else
                {
                    clientSocket.LingerState = new LingerOption(true, 0);
                }

                entry.Status = 0;
                return false;
            default:
                await upstream.CopyBodyAsync(response, clientStream, long.MaxValue, token, isHead);
                return !response.ConnectionClose && !request.ConnectionClose;
        }
    }

    private static async Task<bool> AnswerAsync(BufferedReader client, NetworkStream clientStream, HttpHead request,
        int status, string reason, string code, string message, int? retryAfter, CancellationToken token)
    {
        // Without Expect: 100-continue the body is on its way: read it so the connection stays usable.
        var close = request.ExpectContinue || request.ConnectionClose;
        if (!close)
        {
            await client.CopyBodyAsync(request, Stream.Null, long.MaxValue, token);
        }

        var body = request.Method == "HEAD"
            ? []
            : Encoding.UTF8.GetBytes(
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>");
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n")
            .Append("Content-Type: application/xml\r\n")
            .Append("x-amz-request-id: proxy\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {(request.Method == "HEAD" ? 0 : body.Length)}\r\n");
        if (retryAfter is { } seconds)
        {
            head.Append(CultureInfo.InvariantCulture, $"Retry-After: {seconds}\r\n");
        }

        if (close)
        {
            head.Append("Connection: close\r\n");
        }

        head.Append("\r\n");
        await clientStream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), token);
        await clientStream.WriteAsync(body, token);
        return !close;
    }

    private void Reset(Socket socket)
    {
        Interlocked.Increment(ref _refused);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    private FaultRule? PickRule(ProxyRequest entry)
    {
        lock (_rules)
        {
            foreach (var rule in _rules)
            {
                if (rule.Remaining <= 0 || !rule.Match(entry))
                {
                    continue;
                }

                if (rule.Probability < 1.0 && _random.NextDouble() >= rule.Probability)
                {
                    continue;
                }

                rule.Remaining--;
                return rule;
            }
        }

        return null;
    }

    private static bool IsObjectWrite(HttpHead request, ProxyRequest entry) =>
        entry.Key is not null &&
        ((request.Method == "PUT" && !entry.Query.Contains("partNumber=", StringComparison.Ordinal)) ||
         (request.Method == "POST" && entry.Query.Contains("uploadId=", StringComparison.Ordinal)));

    private static ProxyRequest Describe(HttpHead request)
    {
        var target = request.Target;
        var q = target.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? target : target[..q];
        var query = q < 0 ? string.Empty : target[(q + 1)..];
        var trimmed = path.TrimStart('/');
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        string? bucket = trimmed.Length == 0 ? null : Uri.UnescapeDataString(slash < 0 ? trimmed : trimmed[..slash]);
        string? key = slash < 0 || slash == trimmed.Length - 1 ? null : Uri.UnescapeDataString(trimmed[(slash + 1)..]);
        return new ProxyRequest(request.Method, path, query, bucket, key, request.Header("Range"))
        {
            IfNoneMatch = request.Header("If-None-Match"),
        };
    }

    /// <summary>A parsed HTTP/1.1 message head; <see cref="Raw"/> is relayed unchanged.</summary>
    private sealed class HttpHead
    {
        private readonly List<(string Name, string Value)> _headers = [];

        private HttpHead(byte[] raw)
        {
            Raw = raw;
        }

        public byte[] Raw { get; }

        public string Method { get; private set; } = string.Empty;

        public string Target { get; private set; } = string.Empty;

        public int Status { get; private set; }

        public long? ContentLength => Header("Content-Length") is { } v
            ? long.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : null;

        public bool Chunked => Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;

        public bool ExpectContinue => string.Equals(Header("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase);

        public bool ConnectionClose => string.Equals(Header("Connection"), "close", StringComparison.OrdinalIgnoreCase);

        public static HttpHead Parse(byte[] raw)
        {
            var text = Encoding.Latin1.GetString(raw);
            var lines = text.Split("\r\n");
            var head = new HttpHead(raw);
            var first = lines[0].Split(' ', 3);
            if (first.Length < 2)
            {
                throw new FormatException("bad start line");
            }

            if (first[0].StartsWith("HTTP/", StringComparison.Ordinal))
            {
                head.Status = int.Parse(first[1], NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
            else
            {
                head.Method = first[0];
                head.Target = first[1];
            }

            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    head._headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
                }
            }

            return head;
        }

        public string? Header(string name)
        {
            foreach (var (n, v) in _headers)
            {
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                {
                    return v;
                }
            }

            return null;
        }
    }

    /// <summary>Buffered reading of heads, chunked framing and counted bodies from a stream.</summary>
    private sealed class BufferedReader
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public BufferedReader(Stream stream)
        {
            _stream = stream;
        }

        public async Task<byte[]?> ReadHeadAsync(CancellationToken token)
        {
            while (true)
            {
                var idx = _buffer.AsSpan(_start, _end - _start).IndexOf(HeadEnd);
                if (idx >= 0)
                {
                    var head = _buffer.AsSpan(_start, idx + HeadEnd.Length).ToArray();
                    _start += idx + HeadEnd.Length;
                    return head;
                }

                if (!await FillAsync(token))
                {
                    return _end == _start ? null : throw new IOException("connection closed inside a head");
                }
            }
        }

        /// <summary>Copies the message body (at most <paramref name="limit"/> bytes of it) to <paramref name="destination"/>.</summary>
        public async Task CopyBodyAsync(HttpHead head, Stream destination, long limit, CancellationToken token, bool noBody = false)
        {
            if (noBody || head.Status is 204 or 304 || (head.Status is >= 100 and < 200))
            {
                return;
            }

            if (head.Chunked)
            {
                await CopyChunkedAsync(destination, limit, token);
                return;
            }

            if (head.ContentLength is { } length)
            {
                await CopyCountAsync(Math.Min(length, limit), destination, token);
                return;
            }

            if (head.Method.Length == 0)
            {
                // A response without framing: until the upstream closes.
                await CopyCountAsync(limit, destination, token, untilClose: true);
            }
        }

        private async Task CopyChunkedAsync(Stream destination, long limit, CancellationToken token)
        {
            long copied = 0;
            while (true)
            {
                var line = await ReadLineAsync(token);
                await WriteLimitedAsync(destination, Encoding.ASCII.GetBytes(line + "\r\n"), limit, copied, token);
                copied += line.Length + 2;
                var size = long.Parse(line.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (true)
                    {
                        var trailer = await ReadLineAsync(token);
                        await WriteLimitedAsync(destination, Encoding.ASCII.GetBytes(trailer + "\r\n"), limit, copied, token);
                        copied += trailer.Length + 2;
                        if (trailer.Length == 0)
                        {
                            return;
                        }
                    }
                }

                var take = Math.Max(0, Math.Min(size + 2, limit - copied));
                await CopyCountAsync(take, destination, token);
                if (take < size + 2)
                {
                    return;
                }

                copied += size + 2;
            }
        }

        private static async Task WriteLimitedAsync(Stream destination, byte[] data, long limit, long copied, CancellationToken token)
        {
            var room = limit - copied;
            if (room > 0)
            {
                await destination.WriteAsync(data.AsMemory(0, (int)Math.Min(room, data.Length)), token);
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken token)
        {
            while (true)
            {
                var idx = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
                if (idx >= 0)
                {
                    var line = Encoding.ASCII.GetString(_buffer, _start, idx);
                    _start += idx + 2;
                    return line;
                }

                if (!await FillAsync(token))
                {
                    throw new IOException("connection closed inside chunk framing");
                }
            }
        }

        private async Task CopyCountAsync(long count, Stream destination, CancellationToken token, bool untilClose = false)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync(token))
                {
                    if (untilClose)
                    {
                        return;
                    }

                    throw new IOException("connection closed inside a body");
                }

                var n = (int)Math.Min(count, _end - _start);
                await destination.WriteAsync(_buffer.AsMemory(_start, n), token);
                _start += n;
                count -= n;
            }
        }

        private async Task<bool> FillAsync(CancellationToken token)
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_end == _buffer.Length)
            {
                if (_start == 0)
                {
                    throw new IOException("head too large");
                }

                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var n = await _stream.ReadAsync(_buffer.AsMemory(_end), token);
            _end += n;
            return n > 0;
        }
    }
}
