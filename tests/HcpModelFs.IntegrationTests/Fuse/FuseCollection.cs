namespace HcpModelFs.IntegrationTests.Fuse;

/// <summary>Mount tests share the kernel and two cores: they run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class FuseCollection
{
    public const string Name = "fuse";
}
