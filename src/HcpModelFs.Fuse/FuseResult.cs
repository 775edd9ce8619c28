namespace HcpModelFs.Fuse;

/// <summary>
/// The outcome of a filesystem operation: a value or an errno. ENOENT is normal traffic for a filesystem,
/// so it travels as a value rather than as an exception.
/// </summary>
public readonly struct FuseResult<T>
{
    private readonly T _value;

    private FuseResult(T value, Errno error)
    {
        _value = value;
        Error = error;
    }

    public Errno Error { get; }

    public bool IsSuccess => Error == Errno.Success;

    public T Value => IsSuccess ? _value : throw new InvalidOperationException($"No value: the result is {Error}.");

#pragma warning disable CA1000 // Factory members on the result type read best at call sites: FuseResult<int>.Ok(n).
    public static FuseResult<T> Ok(T value) => new(value, Errno.Success);

    public static FuseResult<T> Fail(Errno error) =>
        error == Errno.Success ? throw new ArgumentException("A failure needs an errno.", nameof(error)) : new(default!, error);
#pragma warning restore CA1000

#pragma warning disable CA2225 // Implicit conversions keep handlers terse: `return Errno.ENOENT;` or `return entry;`.
    public static implicit operator FuseResult<T>(T value) => Ok(value);

    public static implicit operator FuseResult<T>(Errno error) => Fail(error);
#pragma warning restore CA2225

    public override string ToString() => IsSuccess ? $"Ok({_value})" : Error.ToString();
}
