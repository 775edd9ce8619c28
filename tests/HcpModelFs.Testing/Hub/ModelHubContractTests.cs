using System.Security.Cryptography;
using HcpModelFs.Hub;
using Xunit;

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// What every <see cref="IModelHub"/> must do, run against the in-memory <see cref="FakeModelHub"/> and against
/// <c>HttpModelHub</c> talking to <see cref="FakeHubServer"/>. Data comes from <see cref="ContractCatalog"/>.
/// </summary>
public abstract class ModelHubContractTests
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Builds the hub under test over <paramref name="catalog"/>, authenticated with <paramref name="token"/>.</summary>
    protected abstract Task<HubUnderTest> CreateAsync(FakeHubCatalog catalog, string? token);

    private static HubRepoId Id(string id) => HubRepoId.Parse(id);

    [Fact]
    public async Task ResolveRevision_main_returns_head_commit_and_canonical_id()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var rev = await sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Model), "main", CancellationToken.None)
            .WaitAsync(Timeout);
        var repo = catalog.Repos[ContractCatalog.Model];
        Assert.Equal(repo.Head.Sha, rev.CommitSha);
        Assert.Equal(ContractCatalog.Model, rev.Repo.Value);
        Assert.False(rev.IsPrivate);
        Assert.False(rev.IsGated);
        Assert.False(rev.IsDisabled);
        Assert.Equal(repo.Head.Date, rev.LastModified);
    }

    [Theory]
    [InlineData("HEAD", "main")]
    [InlineData("v1.0", "v1.0")]
    [InlineData("release/v2", "release/v2")]
    public async Task ResolveRevision_head_tag_and_slash_branch_resolve_to_their_commit(string revision, string refName)
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var repo = catalog.Repos[ContractCatalog.Model];
        var expected = repo.Branches.TryGetValue(refName, out var b) ? b : repo.Tags[refName];
        var rev = await sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Model), revision, CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(expected, rev.CommitSha);
    }

    [Fact]
    public async Task ResolveRevision_full_sha_resolves_to_itself()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var sha = catalog.Repos[ContractCatalog.Model].Tags["v1.0"];
        var rev = await sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Model), sha, CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(sha, rev.CommitSha);
    }

    [Fact]
    public async Task ResolveRevision_unknown_revision_throws_RevisionNotFound()
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), null);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Model), "no-such-branch", CancellationToken.None)
                .WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.RevisionNotFound, ex.Kind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ContractCatalog.Token)]
    public async Task ResolveRevision_unknown_repo_throws_RepoNotFound(string? token)
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), token);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            sut.Hub.ResolveRevisionAsync(Id("acme/no-such-model"), "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.RepoNotFound, ex.Kind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ContractCatalog.OtherToken)]
    public async Task ResolveRevision_private_repo_without_access_throws_RepoNotFound(string? token)
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), token);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Private), "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.RepoNotFound, ex.Kind);
    }

    [Fact]
    public async Task ResolveRevision_private_repo_with_access_reports_private()
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), ContractCatalog.Token);
        var rev = await sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Private), "main", CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.True(rev.IsPrivate);
    }

    [Fact]
    public async Task ResolveRevision_renamed_repo_returns_the_new_canonical_id()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var rev = await sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.OldModelId), "main", CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(ContractCatalog.Model, rev.Repo.Value);
        Assert.Equal(catalog.Repos[ContractCatalog.Model].Head.Sha, rev.CommitSha);
    }

    [Fact]
    public async Task ResolveRevision_invalid_token_throws_Unauthorized()
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), ContractCatalog.UnknownToken);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Model), "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.Unauthorized, ex.Kind);
    }

    [Fact]
    public async Task ResolveRevision_disabled_repo_with_token_throws_Disabled()
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), ContractCatalog.Token);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Disabled), "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.Disabled, ex.Kind);
    }

    [Fact]
    public async Task ResolveRevision_gated_repo_metadata_is_readable_without_token()
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), null);
        var rev = await sut.Hub.ResolveRevisionAsync(Id(ContractCatalog.Gated), "main", CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.True(rev.IsGated);
        Assert.Equal("manual", rev.Gated);
    }

    [Theory]
    [InlineData(ContractCatalog.Model)]
    [InlineData(ContractCatalog.Legacy)]
    public async Task ListFiles_returns_every_file_with_size_oid_and_lfs_sha(string repoId)
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var commit = catalog.Repos[repoId].Head;
        var files = new List<HubFile>();
        await foreach (var f in sut.Hub.ListFilesAsync(Id(repoId), commit.Sha, CancellationToken.None)
            .WithCancellation(new CancellationTokenSource(Timeout).Token))
        {
            files.Add(f);
        }

        Assert.Equal(commit.Files.Keys.Order(StringComparer.Ordinal), files.Select(f => f.Path).Order(StringComparer.Ordinal));
        foreach (var f in files)
        {
            var expected = commit.Files[f.Path];
            Assert.Equal(expected.Size, f.Size);
            Assert.Equal(expected.GitOid, f.GitOid);
            Assert.Equal(expected.IsLfs ? expected.Sha256 : null, f.LfsSha256);
        }
    }

    [Fact]
    public async Task ListFiles_unknown_commit_throws_RevisionNotFound()
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), null);
        var ex = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var unused in sut.Hub.ListFilesAsync(
                Id(ContractCatalog.Model), new string('0', 40), CancellationToken.None))
            {
                _ = unused;
            }
        }).WaitAsync(Timeout);
        Assert.Equal(HubErrorKind.RevisionNotFound, ex.Kind);
    }

    [Fact]
    public async Task ReadRange_returns_exact_bytes_at_start_middle_and_end_of_every_file()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var commit = catalog.Repos[ContractCatalog.Model].Head;
        foreach (var file in commit.Files.Values)
        {
            var expected = file.Content.ToArray();
            foreach (var (offset, length) in new[]
            {
                (0L, Math.Min(100, expected.Length)),
                (expected.Length / 3L, Math.Min(5000, expected.Length / 2)),
                (expected.Length - 1L, 1),
            })
            {
                var buffer = new byte[length];
                await sut.Hub.ReadRangeAsync(Id(ContractCatalog.Model), commit.Sha, file.Path, offset, buffer,
                    CancellationToken.None).AsTask().WaitAsync(Timeout);
                Assert.True(expected.AsSpan((int)offset, length).SequenceEqual(buffer), $"{file.Path} @{offset}+{length}");
            }
        }
    }

    [Fact]
    public async Task ReadRange_whole_files_match_their_listed_hashes()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var commit = catalog.Repos[ContractCatalog.Model].Head;
        await foreach (var f in sut.Hub.ListFilesAsync(Id(ContractCatalog.Model), commit.Sha, CancellationToken.None))
        {
            var buffer = new byte[f.Size];
            await sut.Hub.ReadRangeAsync(Id(ContractCatalog.Model), commit.Sha, f.Path, 0, buffer, CancellationToken.None)
                .AsTask().WaitAsync(Timeout);
            if (f.IsLfs)
            {
                Assert.Equal(f.LfsSha256, Convert.ToHexStringLower(SHA256.HashData(buffer)));
            }
            else
            {
                Assert.Equal(f.GitOid, FakeHubFile.GitBlobSha1(buffer));
            }
        }
    }

    [Fact]
    public async Task ReadRange_missing_path_throws_EntryNotFound()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var ex = await Assert.ThrowsAsync<HubException>(() => sut.Hub.ReadRangeAsync(Id(ContractCatalog.Model),
            catalog.Repos[ContractCatalog.Model].Head.Sha, "no/such file.bin", 0, new byte[1], CancellationToken.None)
            .AsTask().WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.EntryNotFound, ex.Kind);
    }

    [Fact]
    public async Task ReadRange_past_end_throws_ArgumentOutOfRange()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var commit = catalog.Repos[ContractCatalog.Model].Head;
        var file = commit.Files["config.json"];
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sut.Hub.ReadRangeAsync(Id(ContractCatalog.Model),
            commit.Sha, file.Path, file.Size - 1, new byte[2], CancellationToken.None).AsTask().WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ContractCatalog.OtherToken)]
    public async Task ReadRange_gated_repo_without_approval_throws_Gated(string? token)
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, token);
        var ex = await Assert.ThrowsAsync<HubException>(() => sut.Hub.ReadRangeAsync(Id(ContractCatalog.Gated),
            catalog.Repos[ContractCatalog.Gated].Head.Sha, "config.json", 0, new byte[1], CancellationToken.None)
            .AsTask().WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.Gated, ex.Kind);
    }

    [Fact]
    public async Task ReadRange_gated_repo_with_approved_token_returns_bytes()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, ContractCatalog.Token);
        var commit = catalog.Repos[ContractCatalog.Gated].Head;
        var file = commit.Files["model.safetensors"];
        var buffer = new byte[file.Size];
        await sut.Hub.ReadRangeAsync(Id(ContractCatalog.Gated), commit.Sha, file.Path, 0, buffer, CancellationToken.None)
            .AsTask().WaitAsync(Timeout);
        Assert.Equal(file.Content.ToArray(), buffer);
    }

    [Fact]
    public async Task ResolveFile_reports_size_etag_and_commit()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var commit = catalog.Repos[ContractCatalog.Model].Head;
        foreach (var file in commit.Files.Values)
        {
            var location = await sut.Hub.ResolveFileAsync(Id(ContractCatalog.Model), commit.Sha, file.Path,
                CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(file.Size, location.Size);
            Assert.Equal(file.IsLfs, location.IsLfs);
            Assert.Equal(file.IsLfs ? file.Sha256 : file.GitOid, location.ETag);
            Assert.Equal(commit.Sha, location.CommitSha);
        }
    }

    [Fact]
    public async Task ReadRange_zero_length_destination_does_no_lookup()
    {
        var catalog = ContractCatalog.Create();
        await using var sut = await CreateAsync(catalog, null);
        var read = sut.Hub.ReadRangeAsync(Id(ContractCatalog.Model), catalog.Repos[ContractCatalog.Model].Head.Sha,
            "no/such/file", 0, Memory<byte>.Empty, CancellationToken.None);
        Assert.True(read.IsCompletedSuccessfully, "a zero-length read must complete at once, without I/O");
        await read;
    }

    [Theory]
    [InlineData("main")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567")]
    [InlineData("0123")]
    public async Task Pinned_calls_reject_anything_but_a_lowercase_40_hex_commit(string commit)
    {
        await using var sut = await CreateAsync(ContractCatalog.Create(), null);
        await Assert.ThrowsAsync<ArgumentException>(() => sut.Hub.ReadRangeAsync(Id(ContractCatalog.Model), commit,
            "config.json", 0, new byte[1], CancellationToken.None).AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<ArgumentException>(() => sut.Hub.ResolveFileAsync(Id(ContractCatalog.Model), commit,
            "config.json", CancellationToken.None).WaitAsync(Timeout));
    }
}
