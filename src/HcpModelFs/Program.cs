namespace HcpModelFs;

internal static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("hcpmodelfs: no command yet");
        return args.Length == 0 ? 2 : 2;
    }
}
