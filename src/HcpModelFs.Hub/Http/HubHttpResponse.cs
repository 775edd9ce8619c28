namespace HcpModelFs.Hub.Http;

/// <summary>
/// The last answer of a redirect chain. <see cref="ForeignLocation"/> is set when the chain stopped before a hop to
/// another host (the answer is then the Hub's 3xx, whose headers carry the file's metadata).
/// </summary>
internal sealed record HubHttpResponse(HttpResponseMessage Message, Uri RequestUri, bool OnHubHost, bool SentToken,
    Uri? ForeignLocation) : IDisposable
{
    public void Dispose() => Message.Dispose();
}
