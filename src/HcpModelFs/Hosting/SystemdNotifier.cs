using System.Net.Sockets;
using System.Text;

namespace HcpModelFs.Hosting;

/// <summary>sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (Type=notify units).</summary>
internal static class SystemdNotifier
{
    public static bool Notify(string state)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            // '@' names an abstract socket: the kernel wants a leading NUL instead.
            socket.Connect(new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
