using System.Net.Http;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;

namespace Backup.Providers.Azure;

/// <summary>
/// A target in an Azure Blob Storage container (block blobs). An upload becomes visible only when its single Put
/// Blob or its final Put Block List commits, so readers never see part of an object. The Azure SDK retries throttling
/// (503/500) and network errors with exponential backoff, but not a refused connection (see <see cref="AzureRetryPolicy"/>);
/// what still fails is thrown as a transient <see cref="BackupTargetException"/>. With
/// <see cref="AzureBlobTargetOptions.Immutability"/> the first locked blob each instance writes is read back (one Get
/// Blob Properties), and a service that kept no immutability policy on it is refused with
/// <see cref="RetentionLockNotAppliedException"/>.
/// </summary>
public sealed class AzureBlobTarget : IRetentionLockingTarget
{
    private const string EnableImmutability =
        "Enable version-level immutability on the container ('az storage container-rm create … --enable-vlw', or on the storage account), or use a storage that supports it";

    private readonly AzureBlobTargetOptions _options;
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly TimeProvider _time;
    private readonly StorageTransferOptions _transfer;
    private readonly RetentionLockReadBack _lockReadBack = new();
    private Task? _created;

    /// <summary>Creates the target; no request is made until the first call.</summary>
    public AzureBlobTarget(AzureBlobTargetOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _prefix = options.Prefix.Length == 0 || options.Prefix.EndsWith('/') ? options.Prefix : options.Prefix + "/";
        var clientOptions = new BlobClientOptions();
        options.ConfigureClient?.Invoke(clientOptions);
        clientOptions.RetryPolicy ??= new AzureRetryPolicy(clientOptions.Retry);
        _container = options.ConnectionString is not null
            ? new BlobContainerClient(options.ConnectionString, options.Container, clientOptions)
            : new BlobContainerClient(new Uri(options.ServiceUri!, options.Container), options.Credential!, clientOptions);
        if (IsInsecureRemoteHttp && !options.AllowInsecureHttp)
        {
            throw new InsecureTransportException(
                $"The blob endpoint is plain http:// to another machine ({_container.Uri.Host}), where anyone on the path can read the requests and alter the answers; " +
                $"use https://, or set {nameof(AzureBlobTargetOptions.AllowInsecureHttp)} if the network is trusted.",
                "ConnectionString");
        }
        _transfer = new StorageTransferOptions
        {
            InitialTransferSize = options.SingleUploadThreshold,
            MaximumTransferSize = options.BlockSize,
            MaximumConcurrency = options.BlockConcurrency,
        };
    }

    /// <summary>Whether requests go over plain HTTP to another machine (allowed only with <see cref="AzureBlobTargetOptions.AllowInsecureHttp"/>).</summary>
    public bool IsInsecureRemoteHttp => _container.Uri.Scheme == Uri.UriSchemeHttp && !_container.Uri.IsLoopback;

    /// <inheritdoc />
    public string Description => $"Azure Blob target '{_container.AccountName}/{_options.Container}/{_prefix}'";

    /// <inheritdoc />
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(key);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var upload = new BlobUploadOptions { TransferOptions = _transfer };
        if (_options.Immutability is { } immutability && immutability.Applies(key))
        {
            upload.ImmutabilityPolicy = new BlobImmutabilityPolicy
            {
                ExpiresOn = _time.GetUtcNow().Add(immutability.RetainFor),
                PolicyMode = immutability.Locked ? BlobImmutabilityPolicyMode.Locked : BlobImmutabilityPolicyMode.Unlocked,
            };
        }

        try
        {
            await blob.UploadAsync(new BinaryData(content), upload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "write", cancellationToken).ConfigureAwait(false);
        }

        if (upload.ImmutabilityPolicy is { } policy)
        {
            await _lockReadBack.ConfirmAsync(ct => ReadBackImmutabilityAsync(key, policy, ct), () => RemoveUnlockedAsync(key), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A locked policy is recorded as mode "locked" (Azure's own name for the policy mode), so a later run whose
    /// policies an administrator could shorten is refused; an unlocked one records no mode, as it always did.
    /// </remarks>
    public RetentionLock? RetentionLock => _options.Immutability is { } immutability
        ? new RetentionLock { Period = immutability.RetainFor, Mode = immutability.Locked ? Backup.Core.Storage.RetentionLock.AzureLockedMode : null }
        : null;

    /// <summary>
    /// Confirms with one request (Get Container Properties) that the container has version-level immutability
    /// support, so the immutability policy this target writes will be kept; does nothing without
    /// <see cref="AzureBlobTargetOptions.Immutability"/>. A missing container is refused too: one the target would
    /// create has no such support.
    /// </summary>
    /// <exception cref="RetentionLockNotAppliedException">The container has no version-level immutability, or does not exist.</exception>
    /// <exception cref="BackupTargetException">The properties could not be read (network, permission).</exception>
    public async Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Immutability is null)
        {
            return;
        }

        const string What = "(the container's properties)";
        BlobContainerProperties properties;
        try
        {
            properties = (await _container.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && _options.CreateContainer)
        {
            throw NoImmutabilityOnContainer("it does not exist, and a container created here would have no version-level immutability", ex);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, What, "read", cancellationToken).ConfigureAwait(false);
        }

        if (!properties.HasImmutableStorageWithVersioning)
        {
            throw NoImmutabilityOnContainer("it has no version-level immutability support", null);
        }
    }

    /// <summary>
    /// Extends the blob's immutability policy with one Set Blob Immutability Policy, locked or unlocked as
    /// <see cref="AzureImmutabilityOptions.Locked"/> says, whether or not it had one. A locked policy cannot be
    /// shortened, so the service refuses that, and only then is the blob read to tell a policy that already runs
    /// longer (left as it is) from another failure. An unlocked policy can be shortened by that same request, so with
    /// unlocked policies the blob's policy is read first (two requests per blob) and a longer one is left alone.
    /// </summary>
    /// <exception cref="InvalidOperationException">The target has no <see cref="AzureBlobTargetOptions.Immutability"/>.</exception>
    /// <exception cref="BackupObjectNotFoundException">The blob does not exist.</exception>
    /// <exception cref="BackupTargetException">The policy could not be set (permission, network).</exception>
    public async Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default)
    {
        if (_options.Immutability is not { } immutability)
        {
            throw new InvalidOperationException($"{Description} writes no immutability policy, so it cannot extend one: give it {nameof(AzureBlobTargetOptions.Immutability)}.");
        }

        var blob = BlobOf(key);
        var until = RetentionExtension.WholeSecondAtOrAfter(retainUntil);
        if (!immutability.Locked && await PolicyUntilAsync(key, cancellationToken).ConfigureAwait(false) is { } current && current >= until)
        {
            return new RetentionExtension { Extended = false, RetainUntil = current };
        }

        try
        {
            await blob.SetImmutabilityPolicyAsync(
                new BlobImmutabilityPolicy { ExpiresOn = until, PolicyMode = immutability.Locked ? BlobImmutabilityPolicyMode.Locked : BlobImmutabilityPolicyMode.Unlocked },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return new RetentionExtension { Extended = true, RetainUntil = until };
        }
        catch (RequestFailedException ex) when (ex.Status is 400 or 403 or 409 && immutability.Locked)
        {
            // A locked policy that runs longer is refused shortening; anything else is the refusal it seems.
            if (await PolicyUntilAsync(key, cancellationToken).ConfigureAwait(false) is { } kept && kept >= until)
            {
                return new RetentionExtension { Extended = false, RetainUntil = kept };
            }

            throw await MapAsync(ex, key, "extend the immutability policy of", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "extend the immutability policy of", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>When the blob's immutability policy ends; null when it has none.</summary>
    /// <exception cref="BackupObjectNotFoundException">The blob does not exist.</exception>
    private async Task<DateTimeOffset?> PolicyUntilAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return (await BlobOf(key).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ImmutabilityPolicy?.ExpiresOn;
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "read the immutability policy of", cancellationToken).ConfigureAwait(false);
        }
    }

    private RetentionLockNotAppliedException NoImmutabilityOnContainer(string reason, Exception? inner) =>
        new($"The container '{_options.Container}' of {Description} cannot keep an immutability policy ({reason}): blobs written there with a retention lock " +
            $"would not be immutable. {EnableImmutability}.", inner);

    /// <summary>One Get Blob Properties of the blob just written with a policy: the policy the service says it keeps, or a refusal.</summary>
    private async Task ReadBackImmutabilityAsync(string key, BlobImmutabilityPolicy asked, CancellationToken cancellationToken)
    {
        BlobImmutabilityPolicy? kept;
        try
        {
            kept = (await BlobOf(key).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ImmutabilityPolicy;
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "read back the immutability policy of", cancellationToken).ConfigureAwait(false);
        }

        // The service keeps the expiry to the second; anything shorter than that, or another mode, is not the policy asked for.
        if (kept?.ExpiresOn is { } expires && expires >= asked.ExpiresOn!.Value.AddSeconds(-1) && kept.PolicyMode == asked.PolicyMode)
        {
            return;
        }

        var reported = kept?.ExpiresOn is { } until
            ? $"it reports a {kept.PolicyMode} policy until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, not {asked.PolicyMode} until {asked.ExpiresOn!.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"
            : "it reports no immutability policy";
        throw new RetentionLockNotAppliedException(
            $"{Description} accepted the write of '{key}' with an immutability policy but keeps no retention lock on it ({reported}): the copy would not be immutable. {EnableImmutability}.");
    }

    /// <summary>Removes a blob the service accepted without its policy: it is not the locked blob it was meant to be. Best effort.</summary>
    private async Task RemoveUnlockedAsync(string key)
    {
        try
        {
            // Not cancellable on purpose: the refusal is what the caller sees either way.
            await DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BackupTargetException)
        {
            // A SAS without delete rights leaves it as unreferenced data, which prune removes.
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.IsEmpty)
        {
            return 0; // HTTP cannot ask for zero bytes
        }

        try
        {
            // The service clips a range that runs past the end, so the body says how much of it the blob holds.
            var result = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset, destination.Length) }, cancellationToken).ConfigureAwait(false);
            using var download = result.Value;
            if (download.Details.ContentLength > destination.Length)
            {
                throw new BackupTargetException($"'{key}' in {Description} answered a read of {destination.Length} bytes with {download.Details.ContentLength}: the service ignored the range.");
            }

            var body = download.Content;
            var read = 0;
            int n;
            while (read < destination.Length && (n = await body.ReadAsync(destination[read..], cancellationToken).ConfigureAwait(false)) > 0)
            {
                read += n;
            }

            if (read != download.Details.ContentLength)
            {
                throw new BackupTargetException($"The response body ended after {read} of {download.Details.ContentLength} bytes.") { IsTransient = true };
            }

            return read;
        }
        catch (RequestFailedException ex) when (ex.Status == 416 || ex.ErrorCode == BlobErrorCode.InvalidRange)
        {
            return 0; // the range starts at or past the end of a blob that exists
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "read", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BackupKeys.ValidatePrefix(prefix);
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _prefix + prefix }, cancellationToken).AsPages(pageSizeHint: 5000);
        var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        await using (enumerator.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == BlobErrorCode.ContainerNotFound && !_options.CreateContainer)
                {
                    throw MissingContainer(ex);
                }
                catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == BlobErrorCode.ContainerNotFound)
                {
                    yield break; // Not created yet, so empty.
                }
                catch (Exception ex) when (IsStorageFailure(ex))
                {
                    throw await MapAsync(ex, prefix, "list", cancellationToken).ConfigureAwait(false);
                }

                foreach (var item in enumerator.Current.Values)
                {
                    yield return new BackupObjectInfo
                    {
                        Key = ListedKeys.Relative(item.Name, _prefix + prefix, _prefix.Length, Description),
                        Length = item.Properties.ContentLength ?? 0,
                        // Unknown is taken as now: an age decides what prune may delete, and only the old is deleted.
                        LastModified = item.Properties.LastModified ?? DateTimeOffset.UtcNow,
                    };
                }

                if (!string.IsNullOrEmpty(enumerator.Current.ContinuationToken))
                {
                    ListedKeys.NextPage(enumerator.Current.ContinuationToken, tokens, Description);
                }
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="BackupObjectLockedException">The blob is under an immutability policy or legal hold.</exception>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(key);
        try
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // No container, so no blob.
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "delete", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        var blob = BlobOf(key);
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new BackupObjectInfo { Key = key, Length = properties.Value.ContentLength, LastModified = properties.Value.LastModified };
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw await MapAsync(ex, key, "stat", cancellationToken).ConfigureAwait(false);
        }
    }

    private Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateContainer)
        {
            return Task.CompletedTask;
        }

        // One creation attempt per target; a failed attempt is forgotten so the next put tries again.
        var task = Volatile.Read(ref _created);
        if (task is null || task.IsFaulted || task.IsCanceled)
        {
            task = _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            Volatile.Write(ref _created, task);
        }

        return task;
    }

    /// <summary>
    /// What the SDK throws when storage fails: its own errors, the network's, an answer it could not parse, and the
    /// AggregateException its retry policy throws once every try failed ("Retry failed after 6 tries").
    /// </summary>
    private static bool IsStorageFailure(Exception ex) =>
        ex is RequestFailedException or HttpRequestException or IOException or AggregateException or System.Xml.XmlException && ex is not BackupTargetException;

    private BackupLocationNotFoundException MissingContainer(Exception ex) =>
        new($"The container '{_options.Container}' does not exist: create it (backup init does not create containers), or check its name and the connection string's account.", ex);

    private async Task<BackupTargetException> MapAsync(Exception ex, string key, string verb, CancellationToken cancellationToken)
    {
        if (ex is AggregateException { InnerExceptions: [.., var last] })
        {
            // The last try's failure says what is wrong now.
            return await MapAsync(last, key, verb, cancellationToken).ConfigureAwait(false);
        }

        if (RefusedConnection.IsRefused(ex))
        {
            // The authority only: the URI's query may hold a SAS token.
            return new BackupTargetException($"Could not reach {Description} to {verb} '{key}': {RefusedConnection.Describe(_container.Uri.GetLeftPart(UriPartial.Authority))}.", ex)
            {
                IsTransient = true,
            };
        }

        if (ex is System.Xml.XmlException)
        {
            return new BackupTargetException($"Could not {verb} '{key}' in {Description}: its answer could not be read ({ex.Message})", ex) { IsTransient = true };
        }

        if (ex is RequestFailedException failed)
        {
            var code = failed.ErrorCode ?? string.Empty;
            if (code == BlobErrorCode.ContainerNotFound)
            {
                // A container the first put will create holds nothing yet, as its listing says.
                return _options.CreateContainer ? new BackupObjectNotFoundException(key, Description) : MissingContainer(ex);
            }

            if (failed.Status == 404 || code == BlobErrorCode.BlobNotFound)
            {
                return new BackupObjectNotFoundException(key, Description);
            }

            if (code == BlobErrorCode.BlobImmutableDueToPolicy || code == "BlobImmutableDueToLegalHold")
            {
                DateTimeOffset? until = null;
                try
                {
                    var properties = await BlobOf(key).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    until = properties.Value.ImmutabilityPolicy?.ExpiresOn;
                }
                catch (RequestFailedException)
                {
                    // The date is a nicety; the refusal itself is what matters.
                }

                return new BackupObjectLockedException(key, Description, until, ex);
            }

            if (failed.Status == 403)
            {
                // A connection string with the account key signs every request with it: a wrong or rotated key is
                // refused like a missing permission, and no SAS or role assignment is involved to check.
                return new BackupTargetException(_container.CanGenerateSasUri
                    ? $"Permission denied to {verb} '{key}' in {Description} ({code}): check the account key (AccountKey) in the connection string, that it is " +
                      "this account's and was not rotated since, and the account's network rules."
                    : $"Permission denied to {verb} '{key}' in {Description} ({code}): check the SAS or role assignment.", ex);
            }

            if (code is "AccountLimitExceeded" or "InsufficientAccountPermissions" || failed.Status == 507)
            {
                return new BackupTargetException($"Could not {verb} '{key}' in {Description}: the account is full or over quota ({code}).", ex);
            }

            if (failed.Status == 0)
            {
                // No answer at all (connection refused, name not found, TLS): the cause is the innermost exception's.
                var cause = ex.GetBaseException().Message;
                return new BackupTargetException($"Could not reach {Description} to {verb} '{key}': {cause}", ex) { IsTransient = true };
            }

            return new BackupTargetException($"Could not {verb} '{key}' in {Description}: {code} (HTTP {failed.Status})", ex)
            {
                IsTransient = failed.Status is 408 or 429 or >= 500,
            };
        }

        return new BackupTargetException($"Network error during {verb} of '{key}' in {Description}: {ex.Message}", ex) { IsTransient = true };
    }

    private BlobClient BlobOf(string key)
    {
        BackupKeys.Validate(key);
        return _container.GetBlobClient(_prefix + key);
    }
}
