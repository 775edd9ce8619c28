using HcpModelFs.Store.Configuration;

namespace HcpModelFs.Store.Tests;

public sealed class DotEnvParserTests
{
    [Fact]
    public void Parse_handles_comments_export_quotes_and_inline_comments()
    {
        var env = DotEnvParser.Parse("""
            # a comment
            export HCP_ENDPOINT=https://h.example
            HCP_NAMESPACE = "ns with space"
            HCP_SECRET_KEY='a#b"c'
            HCP_PREFIX=models/ # trailing comment
            ESCAPED="line\nnext \"q\""
            not a pair
            EMPTY=
            """);
        Assert.Equal("https://h.example", env["HCP_ENDPOINT"]);
        Assert.Equal("ns with space", env["HCP_NAMESPACE"]);
        Assert.Equal("a#b\"c", env["HCP_SECRET_KEY"]);
        Assert.Equal("models/", env["HCP_PREFIX"]);
        Assert.Equal("line\nnext \"q\"", env["ESCAPED"]);
        Assert.Equal(string.Empty, env["EMPTY"]);
        Assert.Equal(6, env.Count);
    }

    [Fact]
    public void Parse_later_line_wins_and_crlf_is_accepted()
    {
        var env = DotEnvParser.Parse("A=1\r\nA=2\r\n");
        Assert.Equal("2", env["A"]);
    }
}
