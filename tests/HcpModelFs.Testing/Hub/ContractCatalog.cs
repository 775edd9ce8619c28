namespace HcpModelFs.Testing.Hub;

/// <summary>The repos and tokens every <see cref="ModelHubContractTests"/> run uses.</summary>
public static class ContractCatalog
{
    public const string Token = "hf_contractReaderToken0123456789";
    public const string OtherToken = "hf_contractOtherToken0123456789";
    public const string UnknownToken = "hf_notAKnownToken0123456789";
    public const string Model = "acme/tiny-model";
    public const string OldModelId = "old-acme/tiny-model-v0";
    public const string Private = "acme/private-model";
    public const string Gated = "acme/gated-model";
    public const string Disabled = "acme/disabled-model";
    public const string Legacy = "legacy_model";

    public static FakeHubCatalog Create(long tensorBytesPerShard = 96 * 1024)
    {
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(Token);
        catalog.Tokens.Add(OtherToken);

        var model = catalog.AddRepo(Model, SyntheticModel.Create(2, tensorBytesPerShard, seed: 7));
        model.RenamedFrom.Add(OldModelId);
        model.AddRevision("v1.0", SyntheticModel.Create(1, 4096, seed: 8, includeOddNames: false), isTag: true);
        model.AddRevision("release/v2", SyntheticModel.Create(1, 8192, seed: 9, includeOddNames: false));

        var priv = catalog.AddRepo(Private, SyntheticModel.Create(1, 4096, seed: 10), FakeRepoVisibility.Private);
        priv.AllowedTokens.Add(Token);

        var gated = catalog.AddRepo(Gated, SyntheticModel.Create(1, 4096, seed: 11), FakeRepoVisibility.Gated);
        gated.AllowedTokens.Add(Token);
        gated.GatedMode = "manual";

        var disabled = catalog.AddRepo(Disabled, SyntheticModel.Create(1, 4096, seed: 12));
        disabled.Disabled = true;

        catalog.AddRepo(Legacy, [
            FakeHubFile.Regular("config.json", "{\"model_type\": \"gpt2\"}\n"),
            FakeHubFile.Lfs("model.safetensors",
                SyntheticModel.SafetensorsShard(["wte.weight"], 2048, 13)),
        ]);
        return catalog;
    }
}
