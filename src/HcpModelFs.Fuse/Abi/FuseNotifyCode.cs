namespace HcpModelFs.Fuse.Abi;

/// <summary>Notification codes sent daemon -> kernel with <c>unique = 0</c>.</summary>
public enum FuseNotifyCode
{
    Poll = 1,
    InvalInode = 2,
    InvalEntry = 3,
    Store = 4,
    Retrieve = 5,
    Delete = 6,
}
