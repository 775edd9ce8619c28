namespace HcpModelFs.Core.Ingest;

/// <summary>What starts the ingest of a model the store lacks.</summary>
public enum IngestTrigger
{
    /// <summary>The first open of one of its files (the default): `ls` of a model never downloads it.</summary>
    Open,

    /// <summary>The lookup of its directory already starts it.</summary>
    Lookup,
}
