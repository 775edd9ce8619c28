namespace HcpModelFs.FuseTestHost;

internal static class Program
{
    public static int Main() => 0;
}
