using System.Globalization;
using System.Security.Cryptography;
using Backup.Core.Transforms;

namespace EnvelopeEncryption;

/// <summary>
/// Registers <see cref="KmsEnvelopeTransform"/> with a repository. At creation it draws a random data key, has the
/// KMS wrap it (bound to the repository's ID) and records "1:keyId:base64(wrapped key)" in the repository config; at
/// open it asks the KMS to unwrap that. The data key itself is never stored.
/// </summary>
public sealed class KmsEnvelopeTransformProvider : ITransformProvider
{
    private const string ParametersVersion = "1";
    private readonly IKeyManagementService _kms;

    /// <summary>Wraps and unwraps data keys with <paramref name="kms"/>.</summary>
    public KmsEnvelopeTransformProvider(IKeyManagementService kms) => _kms = kms ?? throw new ArgumentNullException(nameof(kms));

    /// <inheritdoc />
    public string Name => KmsEnvelopeTransform.TransformName;

    /// <inheritdoc />
    public async ValueTask<TransformSetup> CreateAsync(TransformProviderContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var wrapped = await _kms.WrapKeyAsync(dataKey, EncryptionContext(context), cancellationToken);
            return new TransformSetup
            {
                Transform = new KmsEnvelopeTransform(dataKey),
                Parameters = string.Join(':', ParametersVersion, wrapped.KeyId, Convert.ToBase64String(wrapped.Ciphertext)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IStreamTransform> OpenAsync(TransformProviderContext context, string? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fields = (parameters ?? "").Split(':');
        if (fields[0] != ParametersVersion)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The {Name} parameters are version '{fields[0]}'; this provider reads version {ParametersVersion}."));
        }

        byte[] ciphertext;
        try
        {
            ciphertext = fields.Length == 3 ? Convert.FromBase64String(fields[2]) : throw new FormatException("expected 3 fields");
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"The {Name} parameters are not \"1:keyId:base64(wrapped key)\".", ex);
        }

        var dataKey = await _kms.UnwrapKeyAsync(new WrappedKey(fields[1], ciphertext), EncryptionContext(context), cancellationToken);
        try
        {
            return new KmsEnvelopeTransform(dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static string EncryptionContext(TransformProviderContext context) => "backup-sdk repository " + context.RepositoryId;
}
