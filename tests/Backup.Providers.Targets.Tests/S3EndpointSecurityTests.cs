using Backup.Providers.S3;

namespace Backup.Providers.Targets.Tests;

/// <summary>Plain HTTP to another machine is refused unless allowed; to this machine it stays allowed (the test servers use it).</summary>
public sealed class S3EndpointSecurityTests
{
    private static S3TargetOptions Options(string endpoint, bool allow = false) => new()
    {
        Endpoint = new Uri(endpoint),
        Bucket = "bucket",
        Credentials = new S3Credentials("AKIDEXAMPLE", "secret"),
        ForcePathStyle = true,
        AllowInsecureHttp = allow,
    };

    [Theory]
    [InlineData("http://192.0.2.10:9000")]
    [InlineData("http://s3.example.net")]
    [InlineData("http://[2001:db8::1]:9000")]
    public void Plain_http_to_another_machine_is_refused_and_names_the_way_out(string endpoint)
    {
        var options = Options(endpoint);

        options.IsInsecureRemoteHttp.Should().BeTrue();
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*plain http://*AllowInsecureHttp*");
        FluentActions.Invoking(() => new S3Target(options)).Should().Throw<ArgumentException>("the target is never built, so no request leaves in clear");
    }

    [Theory]
    [InlineData("http://192.0.2.10:9000", true)]
    [InlineData("http://127.0.0.1:9000", false)]
    [InlineData("http://127.8.9.10:9000", false)]
    [InlineData("http://localhost:9000", false)]
    [InlineData("http://[::1]:9000", false)]
    [InlineData("https://s3.example.net", false)]
    public void Https_this_machine_and_an_explicit_allowance_are_accepted(string endpoint, bool allow)
    {
        var options = Options(endpoint, allow);

        options.Invoking(o => o.Validate()).Should().NotThrow();
        using var target = new S3Target(options);
    }
}
