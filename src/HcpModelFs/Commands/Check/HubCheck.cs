using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using HcpModelFs.Hub;

namespace HcpModelFs.Commands.Check;

/// <summary>
/// The Hub with the effective HF_ENDPOINT and token: `GET /api/whoami-v2` names the token's user; without a token any
/// answer proves the Hub reachable and access is anonymous (public models only), which is not a failure.
/// </summary>
internal static class HubCheck
{
    public static async Task<IReadOnlyList<CheckLine>> RunAsync(HubOptions options, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.Endpoint;
        string? token;
        try
        {
            token = options.ResolveToken();
        }
        catch (IOException ex)
        {
            return [CheckLine.Fail("hub token", $"token file cannot be read: {ex.Message} (HF_TOKEN_PATH)")];
        }

        using var handler = new SocketsHttpHandler { ConnectTimeout = timeout };
        using var client = new HttpClient(handler) { Timeout = timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.ToString().TrimEnd('/') + "/api/whoami-v2"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return [CheckLine.Fail("hub reachable", $"{endpoint.Authority}: {ex.Message} (HF_ENDPOINT)")];
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return [CheckLine.Fail("hub reachable", $"{endpoint.Authority}: no answer within {timeout.TotalSeconds:0} s (HF_ENDPOINT)")];
        }

        using (response)
        {
            var reachable = CheckLine.Ok("hub reachable", $"{endpoint.Authority} answered HTTP {(int)response.StatusCode}");
            if (token is null)
            {
                return [reachable, CheckLine.Ok("hub token", "anonymous (no HF_TOKEN): public models only")];
            }

            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return [reachable, CheckLine.Fail("hub token", $"refused by the Hub (HTTP {(int)response.StatusCode}): renew HF_TOKEN")];
            }

            if (!response.IsSuccessStatusCode)
            {
                return [reachable, CheckLine.Fail("hub token", $"whoami answered HTTP {(int)response.StatusCode}")];
            }

            return [reachable, CheckLine.Ok("hub token", "valid for " + await UserNameAsync(response, ct))];
        }
    }

    private static async Task<string> UserNameAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            return doc.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()! : "(unnamed)";
        }
        catch (JsonException)
        {
            return "(unreadable whoami answer)";
        }
    }
}
