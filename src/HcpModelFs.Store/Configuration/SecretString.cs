namespace HcpModelFs.Store.Configuration;

/// <summary>A credential value whose <see cref="ToString"/> is redacted, so it cannot reach a log by accident.</summary>
public sealed class SecretString
{
    private readonly string _value;

    public SecretString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>The real value: only for signing requests.</summary>
    public string Reveal() => _value;

    public override string ToString() => "***";
}
