using System.Diagnostics.Metrics;
using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.Local;
using HcpModelFs.Store.Resilience;
using HcpModelFs.Store.S3;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Store;

/// <summary>
/// Builds the store the settings describe: S3 (HCP, MinIO, RGW, AWS) wrapped in <see cref="ResilientObjectStore"/>,
/// or, with no endpoint, the local-directory store. Capability detection is left to the caller's start-up
/// (<see cref="IObjectStore.DetectCapabilitiesAsync"/> with a scratch prefix such as <c>&lt;prefix&gt;.hcpmodelfs/probe/</c>).
/// </summary>
public static class ObjectStoreFactory
{
    public static IObjectStore Create(StoreSettings settings, string defaultLocalDirectory, ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.IsS3)
        {
            return new LocalDirectoryObjectStore(settings.LocalDirectory ?? defaultLocalDirectory);
        }

        var s3 = S3ObjectStore.Create(settings, loggerFactory, timeProvider);
        return new ResilientObjectStore(s3, new ResilienceOptions
        {
            AttemptTimeout = settings.AttemptTimeout,
            MaxRetries = settings.MaxRetries,
            FailureLogInterval = settings.FailureLogInterval,
        }, loggerFactory?.CreateLogger<ResilientObjectStore>(), timeProvider, meterFactory);
    }
}
