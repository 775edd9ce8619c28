namespace HcpModelFs.Testing.Hub;

public enum FakeRepoVisibility
{
    Public,
    Private,
    Gated,
}
