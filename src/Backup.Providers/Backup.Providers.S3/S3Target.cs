using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Backup.Core.Storage;

namespace Backup.Providers.S3;

/// <summary>
/// A target in an S3 bucket (AWS or S3-compatible). A PUT is atomic on S3; objects of
/// <see cref="S3TargetOptions.MultipartThreshold"/> or more go up as a multipart upload, which becomes visible only
/// when completed and is aborted when any part fails. Throttling (503 SlowDown), 5xx and network errors are retried
/// by the SDK with exponential backoff and jitter; what still fails is thrown as a transient
/// <see cref="BackupTargetException"/>, so an outer <see cref="RetryingTarget"/> can try again later. With
/// <see cref="S3TargetOptions.ObjectLock"/> the first locked object each instance writes is read back (one HEAD), and
/// a server that kept no retention on it is refused with <see cref="RetentionLockNotAppliedException"/>.
/// </summary>
public sealed class S3Target : IRetentionLockingTarget, IDisposable
{
    private const string EnableObjectLock =
        "Enable Object Lock on the bucket (it needs versioning and is best turned on when the bucket is created; MinIO: 'mc mb --with-lock'), or use a storage that supports it";

    private readonly S3TargetOptions _options;
    private readonly AmazonS3Client _client;
    private readonly string _prefix;
    private readonly TimeProvider _time;
    private readonly RetentionLockReadBack _lockReadBack = new();

    /// <summary>Creates the target; no request is made until the first call.</summary>
    public S3Target(S3TargetOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _prefix = options.Prefix.Length == 0 || options.Prefix.EndsWith('/') ? options.Prefix : options.Prefix + "/";

        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            MaxErrorRetry = options.MaxErrorRetry,
            RetryMode = options.RetryMode,
            Timeout = options.Timeout,
        };
        if (options.Endpoint is not null)
        {
            config.ServiceURL = options.Endpoint.ToString();
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.CompatibleChecksums)
        {
            // AWSSDK v4 otherwise adds a CRC trailer in an aws-chunked body to every upload, which servers that do
            // not decode aws-chunked store verbatim (the object then holds chunk headers). Integrity comes from
            // Content-MD5 instead, which every S3 implementation verifies.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        options.ConfigureClient?.Invoke(config);
        AWSCredentials credentials = options.Credentials.SessionToken is { } token
            ? new SessionAWSCredentials(options.Credentials.AccessKeyId, options.Credentials.SecretAccessKey, token)
            : new BasicAWSCredentials(options.Credentials.AccessKeyId, options.Credentials.SecretAccessKey);
        _client = new AmazonS3Client(credentials, config);
    }

    /// <inheritdoc />
    public string Description => $"S3 target 's3://{_options.Bucket}/{_prefix}'" + (_options.Endpoint is { } e ? $" at {e.GetLeftPart(UriPartial.Authority)}" : string.Empty);

    /// <summary>Multipart uploads started (for tests and metrics).</summary>
    public long MultipartUploads => Interlocked.Read(ref _multipartUploads);

    private long _multipartUploads;

    /// <inheritdoc />
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var objectKey = KeyOf(key);
        var retainUntil = _options.ObjectLock is { } lockOptions && lockOptions.Applies(key)
            ? _time.GetUtcNow().Add(lockOptions.RetainFor).UtcDateTime
            : (DateTime?)null;
        try
        {
            if (content.Length >= _options.MultipartThreshold)
            {
                await PutMultipartAsync(objectKey, content, retainUntil, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await PutSingleAsync(objectKey, content, retainUntil, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, key, "write");
        }

        if (retainUntil is { } until)
        {
            await _lockReadBack.ConfirmAsync(ct => ReadBackRetentionAsync(key, objectKey, until, ct), () => RemoveUnlockedAsync(key), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public RetentionLock? RetentionLock => _options.ObjectLock is { } objectLock
        ? new RetentionLock { Period = objectLock.RetainFor, Mode = objectLock.Mode == S3ObjectLockMode.Compliance ? "compliance" : "governance" }
        : null;

    /// <summary>
    /// Confirms with one request (GetObjectLockConfiguration) that the bucket has Object Lock enabled, so the
    /// retention this target writes will be kept; does nothing without <see cref="S3TargetOptions.ObjectLock"/>.
    /// On AWS the credential needs <c>s3:GetBucketObjectLockConfiguration</c>.
    /// </summary>
    /// <exception cref="RetentionLockNotAppliedException">The bucket has no Object Lock, or the server does not implement it.</exception>
    /// <exception cref="BackupTargetException">The configuration could not be read (network, permission, missing bucket).</exception>
    public async Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default)
    {
        if (_options.ObjectLock is null)
        {
            return;
        }

        const string What = "(the bucket's Object Lock configuration)";
        GetObjectLockConfigurationResponse response;
        try
        {
            response = await _client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "ObjectLockConfigurationNotFoundError")
        {
            throw NoObjectLockOnBucket("it has no Object Lock configuration", ex);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden && ex.ErrorCode is not ("InvalidAccessKeyId" or "SignatureDoesNotMatch"))
        {
            throw new BackupTargetException(
                $"Permission denied to read the Object Lock configuration of the bucket '{_options.Bucket}' in {Description} ({ex.ErrorCode}): without it the retention lock cannot be confirmed. " +
                "Allow s3:GetBucketObjectLockConfiguration on the bucket (and s3:GetObjectRetention on the repository's objects).", ex);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode != "NoSuchBucket" && (int)ex.StatusCode is 400 or 404 or 405 or 501)
        {
            throw NoObjectLockOnBucket($"the server does not implement Object Lock: {ex.ErrorCode} (HTTP {(int)ex.StatusCode})", ex);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, What, "read");
        }

        if (response.ObjectLockConfiguration?.ObjectLockEnabled != ObjectLockEnabled.Enabled)
        {
            throw NoObjectLockOnBucket("Object Lock is not enabled on it", null);
        }
    }

    /// <summary>
    /// Extends the retention of the object's current version with one PutObjectRetention in this target's mode, whether
    /// or not it had one. S3 refuses to shorten a retention (compliance always, governance without the bypass header,
    /// which this never sends) with 403; only then is the object read (one HEAD) to tell an object already locked
    /// longer, which is left as it is, from a missing permission. On AWS the credential needs s3:PutObjectRetention
    /// (and s3:GetObjectRetention for that read).
    /// </summary>
    /// <exception cref="InvalidOperationException">The target has no <see cref="S3TargetOptions.ObjectLock"/>.</exception>
    /// <exception cref="BackupObjectNotFoundException">The object does not exist.</exception>
    /// <exception cref="BackupTargetException">The retention could not be set (permission, network).</exception>
    public async Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default)
    {
        if (_options.ObjectLock is null)
        {
            throw new InvalidOperationException($"{Description} writes no Object Lock retention, so it cannot extend one: give it {nameof(S3TargetOptions.ObjectLock)}.");
        }

        var objectKey = KeyOf(key);
        var until = RetentionExtension.WholeSecondAtOrAfter(retainUntil);
        try
        {
            await _client.PutObjectRetentionAsync(new PutObjectRetentionRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                Retention = new ObjectLockRetention
                {
                    Mode = _options.ObjectLock.Mode == S3ObjectLockMode.Compliance ? ObjectLockRetentionMode.Compliance : ObjectLockRetentionMode.Governance,
                    RetainUntilDate = until.UtcDateTime,
                },
            }, cancellationToken).ConfigureAwait(false);
            return new RetentionExtension { Extended = true, RetainUntil = until };
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden && ex.ErrorCode is not ("InvalidAccessKeyId" or "SignatureDoesNotMatch"))
        {
            return await AlreadyLockedLongerAsync(key, objectKey, until, ex, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            throw new BackupObjectNotFoundException(key, Description);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, key, "extend the retention of");
        }
    }

    /// <summary>After a refused extension: the object's longer lock when it has one, else the refusal as a permission error.</summary>
    private async Task<RetentionExtension> AlreadyLockedLongerAsync(string key, string objectKey, DateTimeOffset until, AmazonS3Exception refusal, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse? metadata;
        try
        {
            metadata = await HeadAsync(objectKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, key, "read the retention of");
        }

        if (metadata is null)
        {
            throw new BackupObjectNotFoundException(key, Description);
        }

        if (metadata.ObjectLockRetainUntilDate is { } date && new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero) is var kept && kept >= until)
        {
            return new RetentionExtension { Extended = false, RetainUntil = kept };
        }

        throw new BackupTargetException(
            $"Permission denied to extend the retention of '{key}' in {Description} ({refusal.ErrorCode}) to {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC: " +
            "allow s3:PutObjectRetention and s3:GetObjectRetention on the repository's objects for the credential that runs the extension.", refusal);
    }

    private RetentionLockNotAppliedException NoObjectLockOnBucket(string reason, Exception? inner) =>
        new($"The bucket '{_options.Bucket}' of {Description} cannot keep a retention lock ({reason}): it would accept the locked writes but keep no lock on them, " +
            $"so the copy would not be immutable. {EnableObjectLock}.", inner);

    /// <summary>One HEAD of the object just written with retention: the lock the server says it keeps, or a refusal.</summary>
    private async Task ReadBackRetentionAsync(string key, string objectKey, DateTime retainUntil, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse? metadata;
        try
        {
            metadata = await HeadAsync(objectKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, key, "read back the retention of");
        }

        var mode = metadata?.ObjectLockMode;
        var kept = metadata?.ObjectLockRetainUntilDate?.ToUniversalTime();

        // Servers keep the date to the second; anything shorter than that, or another mode, is not the lock asked for.
        if (LockMode.Equals(mode) && kept is { } k && k >= retainUntil.AddSeconds(-1))
        {
            return;
        }

        var reported = metadata is null ? "the object was gone right after the write"
            : kept is null ? "it reports no retention"
            : $"it reports {mode?.Value ?? "no mode"} until {kept:yyyy-MM-dd HH:mm:ss} UTC, not {LockMode.Value} until {retainUntil:yyyy-MM-dd HH:mm:ss} UTC";
        throw new RetentionLockNotAppliedException(
            $"{Description} accepted the write of '{key}' with an Object Lock retention but keeps no retention lock on it ({reported}): the copy would not be immutable. " +
            $"{EnableObjectLock}. On AWS the credential also needs s3:GetObjectRetention, without which the lock cannot be read back.");
    }

    /// <summary>Removes an object the server accepted without its lock: it is not the locked object it was meant to be. Best effort.</summary>
    private async Task RemoveUnlockedAsync(string key)
    {
        try
        {
            // Not cancellable on purpose, like an abort: the refusal is what the caller sees either way.
            await DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BackupTargetException)
        {
            // A credential without delete rights leaves it as unreferenced data, which prune removes.
        }
    }

    private async Task PutSingleAsync(string objectKey, ReadOnlyMemory<byte> content, DateTime? retainUntil, CancellationToken cancellationToken)
    {
        using var stream = AsStream(content);
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = objectKey,
            InputStream = stream,
            AutoCloseStream = false,
        };
        ApplyChecksums(request, content.Span, retainUntil is not null);
        if (retainUntil is not null)
        {
            request.ObjectLockMode = LockMode;
            request.ObjectLockRetainUntilDate = retainUntil;
        }

        await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var objectKey = KeyOf(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.IsEmpty)
        {
            return 0; // HTTP cannot ask for zero bytes
        }

        try
        {
            // S3 clips a range that runs past the end, so the body says how much of it the object holds.
            using var response = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                ByteRange = new ByteRange(offset, offset + destination.Length - 1),
            }, cancellationToken).ConfigureAwait(false);
            return await ReadBodyAsync(response, key, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || ex.ErrorCode == "InvalidRange")
        {
            return 0; // the range starts at or past the end of an object that exists
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            // Some S3-compatible servers (s3rver) answer a range of an empty object with a body they never send.
            if (offset == 0 && ex is HttpIOException && await StatAsync(key, cancellationToken).ConfigureAwait(false) is { Length: 0 })
            {
                return 0;
            }

            throw Map(ex, key, "read");
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BackupKeys.ValidatePrefix(prefix);
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _prefix + prefix, MaxKeys = 1000 };
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
            {
                throw Map(ex, prefix, "list");
            }

            foreach (var item in response.S3Objects ?? [])
            {
                yield return new BackupObjectInfo
                {
                    Key = ListedKeys.Relative(item.Key, _prefix + prefix, _prefix.Length, Description),
                    Length = item.Size ?? 0,
                    // Unknown is taken as now: an age decides what prune may delete, and only the old is deleted.
                    LastModified = item.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UtcNow,
                };
            }

            if (response.IsTruncated != true)
            {
                yield break;
            }

            // A listing that ends early would look complete, and prune decides from what it lists.
            request.ContinuationToken = ListedKeys.NextPage(response.NextContinuationToken, tokens, Description);
        }
    }

    /// <inheritdoc />
    /// <exception cref="BackupObjectLockedException">The object is under Object Lock retention or a legal hold.</exception>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var objectKey = KeyOf(key);
        GetObjectMetadataResponse? metadata = null;
        try
        {
            if (_options.ObjectLock is not null)
            {
                // On a locked bucket a plain DELETE only adds a delete marker and frees nothing, so look at the
                // current version's retention first: refuse clearly while it holds, else delete that version.
                metadata = await HeadAsync(objectKey, cancellationToken).ConfigureAwait(false);
                if (metadata is null)
                {
                    return;
                }

                var until = metadata.ObjectLockRetainUntilDate is { } date ? new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero) : (DateTimeOffset?)null;
                if ((until is { } u && u > _time.GetUtcNow()) || metadata.ObjectLockLegalHoldStatus == ObjectLockLegalHoldStatus.On)
                {
                    throw new BackupObjectLockedException(key, Description, until);
                }
            }

            await _client.DeleteObjectAsync(new DeleteObjectRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                VersionId = metadata?.VersionId,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (metadata is not null && ex.StatusCode == HttpStatusCode.Forbidden)
        {
            // S3 answers 403 AccessDenied when retention set after our check (or by another writer) protects the version.
            var until = metadata.ObjectLockRetainUntilDate is { } date ? new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero) : (DateTimeOffset?)null;
            throw new BackupObjectLockedException(key, Description, until, ex);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            // Deleting what is not there is not an error.
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, key, "delete");
        }
    }

    /// <inheritdoc />
    public async Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        var objectKey = KeyOf(key);
        try
        {
            var metadata = await HeadAsync(objectKey, cancellationToken).ConfigureAwait(false);
            return metadata is null
                ? null
                : new BackupObjectInfo { Key = key, Length = metadata.ContentLength, LastModified = metadata.LastModified is { } m ? new DateTimeOffset(m.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue };
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException && ex is not BackupTargetException)
        {
            throw Map(ex, key, "stat");
        }
    }

    /// <summary>Returns the retention an object carries, or <see langword="null"/> when it has none or does not exist.</summary>
    public async Task<DateTimeOffset?> GetRetainUntilAsync(string key, CancellationToken cancellationToken = default)
    {
        var metadata = await HeadAsync(KeyOf(key), cancellationToken).ConfigureAwait(false);
        return metadata?.ObjectLockRetainUntilDate is { } date ? new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero) : null;
    }

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => _client.Dispose();

    private ObjectLockMode LockMode => _options.ObjectLock!.Mode == S3ObjectLockMode.Compliance ? ObjectLockMode.Compliance : ObjectLockMode.Governance;

    private async Task<GetObjectMetadataResponse?> HeadAsync(string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = objectKey }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
    }

    private async Task PutMultipartAsync(string objectKey, ReadOnlyMemory<byte> content, DateTime? retainUntil, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey };
        if (retainUntil is not null)
        {
            initiate.ObjectLockMode = LockMode;
            initiate.ObjectLockRetainUntilDate = retainUntil;
        }

        var upload = await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _multipartUploads);
        try
        {
            var partCount = (int)((content.Length + _options.PartSize - 1) / _options.PartSize);
            var etags = new PartETag[partCount];
            await Parallel.ForAsync(0, partCount, new ParallelOptions { MaxDegreeOfParallelism = _options.PartConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var part = content.Slice(i * _options.PartSize, Math.Min(_options.PartSize, content.Length - (i * _options.PartSize)));
                using var stream = AsStream(part);
                var request = new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = objectKey,
                    UploadId = upload.UploadId,
                    PartNumber = i + 1,
                    InputStream = stream,
                    PartSize = part.Length,
                    IsLastPart = i == partCount - 1,
                };
                if (_options.CompatibleChecksums || retainUntil is not null)
                {
                    request.UseChunkEncoding = false;
                    request.MD5Digest = Md5(part.Span);
                }

                var response = await _client.UploadPartAsync(request, ct).ConfigureAwait(false);
                etags[i] = new PartETag(i + 1, response.ETag);
            }).ConfigureAwait(false);

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                UploadId = upload.UploadId,
                PartETags = [.. etags],
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await AbortAsync(objectKey, upload.UploadId).ConfigureAwait(false);
            throw;
        }
    }

    private async Task AbortAsync(string objectKey, string uploadId)
    {
        try
        {
            // Not cancellable on purpose: the parts cost storage until aborted (or a lifecycle rule removes them).
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = uploadId }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            // Best effort; the original failure matters more. Recommend an AbortIncompleteMultipartUpload lifecycle rule.
        }
    }

    private void ApplyChecksums(PutObjectRequest request, ReadOnlySpan<byte> content, bool objectLock)
    {
        if (_options.CompatibleChecksums || objectLock)
        {
            // Object Lock puts need Content-MD5 or a checksum header on AWS; MD5 works everywhere.
            request.UseChunkEncoding = false;
            request.MD5Digest = Md5(content);
        }
    }

    private static string Md5(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[16];
#pragma warning disable CA5351 // Content-MD5 is S3's integrity header, not a security measure.
        MD5.HashData(content, hash);
#pragma warning restore CA5351
        return Convert.ToBase64String(hash);
    }

    /// <summary>Reads a response body into <paramref name="destination"/>, refusing one that says or turns out to be larger before writing past it.</summary>
    private async Task<int> ReadBodyAsync(GetObjectResponse response, string key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var expected = response.ContentLength;
        if (expected > destination.Length)
        {
            throw new BackupTargetException($"'{key}' in {Description} answered a read of {destination.Length} bytes with {expected}: the server ignored the range.");
        }

        var read = 0;
        int n;
        while (read < destination.Length && (n = await response.ResponseStream.ReadAsync(destination[read..], cancellationToken).ConfigureAwait(false)) > 0)
        {
            read += n;
        }

        // The server's length is not trusted: a body longer than asked for stops here.
        if (read == destination.Length && await response.ResponseStream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) > 0)
        {
            throw new BackupTargetException($"'{key}' in {Description} answered a read of {destination.Length} bytes with more: the server ignored the range.");
        }

        if (expected >= 0 && read != expected)
        {
            throw new BackupTargetException($"The response body ended after {read} of {expected} bytes.") { IsTransient = true };
        }

        return read;
    }

    private BackupTargetException Map(Exception ex, string key, string verb)
    {
        if (RefusedConnection.IsRefused(ex))
        {
            var endpoint = _options.Endpoint?.GetLeftPart(UriPartial.Authority) ?? $"the S3 endpoint of region {_options.Region}";
            return new BackupTargetException($"Could not reach {Description} to {verb} '{key}': {RefusedConnection.Describe(endpoint)}.", ex) { IsTransient = true };
        }

        if (ex is AmazonS3Exception s3)
        {
            var code = s3.ErrorCode ?? string.Empty;
            var status = (int)s3.StatusCode;
            if (code == "NoSuchBucket")
            {
                return new BackupLocationNotFoundException(
                    $"The bucket '{_options.Bucket}' does not exist: create it (backup init does not create buckets), or check its name, the endpoint and the region.", ex);
            }

            if (code == "NoSuchKey" || (status == 404 && verb is "read" or "stat"))
            {
                return new BackupObjectNotFoundException(key, Description);
            }

            if (status == 403)
            {
                // A key the server does not know, or a secret that does not match it, is not a matter of policy: say
                // which half of the credentials to check.
                return new BackupTargetException(code switch
                {
                    "InvalidAccessKeyId" => $"Could not {verb} '{key}' in {Description}: the server knows no such access key ID ({code}). Check the access key ID, and that it belongs to this endpoint and account.",
                    "SignatureDoesNotMatch" => $"Could not {verb} '{key}' in {Description}: the request's signature does not match the access key ID ({code}). Check the secret access key.",
                    _ => $"Permission denied to {verb} '{key}' in {Description} ({code}): check the access key's policy.",
                }, ex);
            }

            if (code is "QuotaExceeded" or "EntityTooLarge" or "XMinioStorageFull" or "InsufficientStorage" || status == 507)
            {
                return new BackupTargetException($"Could not {verb} '{key}' in {Description}: the storage is full or over quota ({code}).", ex);
            }

            var transient = status is 429 or >= 500 || code is "SlowDown" or "RequestTimeout" or "RequestTimeTooSkewed" or "InternalError";
            return new BackupTargetException($"Could not {verb} '{key}' in {Description}: {code} (HTTP {status}) {s3.Message}", ex) { IsTransient = transient };
        }

        if (ex is AmazonServiceException service)
        {
            var status = (int)service.StatusCode;
            return new BackupTargetException($"Could not {verb} '{key}' in {Description}: {service.Message}", ex)
            {
                IsTransient = status is 0 or 429 or >= 500 || ex.InnerException is HttpRequestException or IOException or TimeoutException,
            };
        }

        return new BackupTargetException($"Network error during {verb} of '{key}' in {Description}: {ex.Message}", ex) { IsTransient = true };
    }

    private string KeyOf(string key)
    {
        BackupKeys.Validate(key);
        return _prefix + key;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
}
