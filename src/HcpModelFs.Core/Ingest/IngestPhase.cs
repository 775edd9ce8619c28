namespace HcpModelFs.Core.Ingest;

/// <summary>Where an ingest stands, as the metrics and `ls` report it.</summary>
public enum IngestPhase
{
    /// <summary>Started, checking the store for the manifest and trying the lease.</summary>
    Starting,

    /// <summary>Another node holds the lease: readers are served from its finished objects, the manifest awaited.</summary>
    Following,

    /// <summary>This node holds the lease and uploads files.</summary>
    Uploading,

    /// <summary>Every file is in: writing the manifest and the ref.</summary>
    Committing,

    /// <summary>Waiting to try again after a store or Hub failure.</summary>
    Retrying,
}
