using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HcpModelFs.Testing.Hub;

/// <summary>Hostile answers (issue 13 item 8): JSON that is not JSON or lacks fields, lying lengths and digests, redirect loops.</summary>
public sealed partial class FakeHubServer
{
    private static readonly string[] DigestNames = ["oid", "sha256"];

    private static async Task WriteHostileAnswerAsync(HttpContext ctx, FakeHubFault fault, string rawTarget)
    {
        if (fault.Kind == FakeHubFaultKind.EndlessRedirect)
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = rawTarget;
            await WriteTextAsync(ctx, "Found. Redirecting to " + rawTarget);
            return;
        }

        var bytes = "{\"sha\": \"not json\", \"siblings\": [{\"rfilename\": "u8.ToArray();
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
        }
    }

    /// <summary>Content-Length as declared: the truth, or more than is sent for a LyingContentLength rule.</summary>
    private static long DeclaredLength(long count, FakeHubFault? fault) =>
        fault?.Kind == FakeHubFaultKind.LyingContentLength ? count + Math.Max(1, fault.AfterBytes) : count;

    /// <summary>A JSON body with a MissingFields or WrongSha256 rule applied; any other body unchanged.</summary>
    private static byte[] Tamper(byte[] json, FakeHubFault? fault)
    {
        if (fault?.Kind is not (FakeHubFaultKind.MissingFields or FakeHubFaultKind.WrongSha256))
        {
            return json;
        }

        var root = JsonNode.Parse(json);
        Walk(root, fault);
        return Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null");
    }

    private static void Walk(JsonNode? node, FakeHubFault fault)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    Walk(item, fault);
                }

                break;
            case JsonObject obj:
                if (fault.Kind == FakeHubFaultKind.MissingFields)
                {
                    foreach (var name in fault.Fields)
                    {
                        obj.Remove(name);
                    }
                }
                else
                {
                    foreach (var name in DigestNames)
                    {
                        if (obj[name] is JsonValue value && value.TryGetValue<string>(out var hex) && hex.Length == 64)
                        {
                            obj[name] = hex[..63] + (hex[63] == '0' ? '1' : '0');
                        }
                    }
                }

                foreach (var (_, child) in obj.ToList())
                {
                    Walk(child, fault);
                }

                break;
        }
    }
}
