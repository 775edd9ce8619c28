using System.Runtime.ExceptionServices;
using HcpModelFs.Core.Threading;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Transfer;

/// <summary>Fills <paramref name="buffer"/> with the part's bytes, exactly.</summary>
internal delegate ValueTask PartFill(FilePart part, Memory<byte> buffer, CancellationToken cancellationToken);

/// <summary>Hashes part <paramref name="index"/> (0-based) once every part before it is hashed.</summary>
internal delegate Task PartHash(int index, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

/// <summary>Uploads one part from its buffer; its ETag for the completion.</summary>
internal delegate Task<PartETag> PartUpload(FilePart part, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

/*
 * Moves a file's parts source -> pooled buffer -> destination in one pass per byte, the two sides overlapped: a part is
 * filled under a fill slot, then hashed (in file order) and uploaded under an upload slot, so while one part uploads
 * the next is already filling. One slot held across the fill and the upload makes the pair run at the harmonic mean of
 * the two links (bench/ingest, Hub capped at 100 MB/s, store 132 MB/s: 63 MB/s); separate stages run at the slower one
 * (86 MB/s). Memory is bounded by the buffers (twice the slots of a stage) and buffers are taken in part order, so the
 * part the in-order hash waits for always holds one and no wait closes a cycle. The slots and buffers are shared by
 * every file of an import or of the ingests of a daemon. The first failure cancels the file's other parts and is the
 * error reported.
 */
public sealed class PartPipeline : IDisposable
{
    private readonly PartBuffers _buffers;
    private readonly SemaphoreSlim _fills;
    private readonly SemaphoreSlim _uploads;

    /// <param name="partsInFlight">Fills at once and uploads at once (each).</param>
    /// <param name="maxPooledPartSize">Buffers up to this size are pooled; larger ones are allocated per part.</param>
    public PartPipeline(int partsInFlight, int maxPooledPartSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partsInFlight, 1);
        _buffers = new PartBuffers(2 * partsInFlight, maxPooledPartSize);
        _fills = new SemaphoreSlim(partsInFlight, partsInFlight);
        _uploads = new SemaphoreSlim(partsInFlight, partsInFlight);
    }

    /// <summary>Buffers, fills and uploads not in use (all of them when idle): what tests check nothing leaks.</summary>
    public (int Buffers, int Fills, int Uploads) Free => (_buffers.Free, _fills.CurrentCount, _uploads.CurrentCount);

    /// <summary>Drops the pooled buffers if no part is in flight (<see cref="PartBuffers.Trim"/>).</summary>
    public void TrimIdle() => _buffers.Trim();

    /// <summary>One buffer for a whole object sent as one PUT (the caller fills it under <see cref="FillAsync"/>).</summary>
    public Task<PartBuffers.Lease> RentAsync(int length, CancellationToken cancellationToken) => _buffers.RentAsync(length, cancellationToken);

    /// <summary>Runs <paramref name="fill"/> under a fill slot: a small file's read counts against the same limit as the parts'.</summary>
    public async Task FillAsync(Func<CancellationToken, ValueTask> fill, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fill);
        await _fills.WaitAsync(cancellationToken);
        try
        {
            await fill(cancellationToken);
        }
        finally
        {
            _fills.Release();
        }
    }

    /// <summary>
    /// Fills, hashes and uploads every part; the parts' ETags in part order (empty ETags where <paramref name="upload"/>
    /// is null: a digest-only pass).
    /// </summary>
    /// <param name="parts">The file's parts in order (<see cref="PartPlan"/>).</param>
    /// <param name="fill">Where the bytes come from.</param>
    /// <param name="fillInOrder">The source streams: parts are filled one at a time in file order (the uploads still overlap).</param>
    /// <param name="hash">The in-order digest, or null.</param>
    /// <param name="upload">The destination, or null.</param>
    /// <param name="done">Called with each part once it is uploaded and hashed (progress).</param>
    /// <param name="cancellationToken">Stops every part.</param>
    internal async Task<PartETag[]> RunAsync(IReadOnlyList<FilePart> parts, PartFill fill, bool fillInOrder, PartHash? hash, PartUpload? upload,
        Action<FilePart>? done, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(fill);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task<PartETag>>(parts.Count);
        try
        {
            try
            {
                foreach (var part in parts)
                {
                    var lease = await _buffers.RentAsync(part.Length, failed.Token);
                    if (fillInOrder)
                    {
                        try
                        {
                            await FillAsync(ct => fill(part, lease.Memory, ct), failed.Token);
                        }
                        catch
                        {
                            lease.Dispose();
                            throw;
                        }
                    }

                    tasks.Add(PartAsync(part, lease, fillInOrder ? null : fill, hash, upload, done, failed));
                }
            }
            catch (OperationCanceledException) when (failed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // A part failed and stopped the loop: the wait below reports its error.
            }

            return await Task.WhenAll(tasks);
        }
        catch (Exception ex)
        {
            await failed.CancelAsync();
            await Task.WhenAll(tasks).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            // The parts a failed part cancelled report the cancellation: report the failure that started it.
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested && TaskFailures.FirstCause(tasks) is { } cause)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    public void Dispose()
    {
        _buffers.Dispose();
        _fills.Dispose();
        _uploads.Dispose();
    }

    private async Task<PartETag> PartAsync(FilePart part, PartBuffers.Lease lease, PartFill? fill, PartHash? hash, PartUpload? upload,
        Action<FilePart>? done, CancellationTokenSource failed)
    {
        using (lease)
        {
            var token = failed.Token;
            var hashed = Task.CompletedTask;
            try
            {
                if (fill is not null)
                {
                    await FillAsync(ct => fill(part, lease.Memory, ct), token);
                }

                hashed = hash?.Invoke(part.Number - 1, lease.Memory, token) ?? Task.CompletedTask;
                var etag = new PartETag(part.Number, string.Empty);
                if (upload is not null)
                {
                    await _uploads.WaitAsync(token);
                    try
                    {
                        etag = await upload(part, lease.Memory, token);
                    }
                    finally
                    {
                        _uploads.Release();
                    }
                }

                await hashed;
                done?.Invoke(part);
                return etag;
            }
            catch
            {
                // The first failure stops the other parts; the buffer goes back only once its hash let go of it.
                await failed.CancelAsync();
                await hashed.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }
        }
    }
}
