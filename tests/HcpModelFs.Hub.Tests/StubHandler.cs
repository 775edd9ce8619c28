namespace HcpModelFs.Hub.Tests;

/// <summary>An in-process HTTP handler: answers from a function and records what was sent.</summary>
internal sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<(string Method, Uri Uri, string? Authorization, string UserAgent, string AcceptEncoding)> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add((request.Method.Method, request.RequestUri!, request.Headers.Authorization?.ToString(),
                request.Headers.UserAgent.ToString(), request.Headers.AcceptEncoding.ToString()));
        }

        var response = respond(request);
        response.RequestMessage = request;
        return Task.FromResult(response);
    }
}
