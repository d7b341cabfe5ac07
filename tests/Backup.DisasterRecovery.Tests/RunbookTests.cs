using Backup.Providers.Sftp;

namespace Backup.DisasterRecovery.Tests;

public sealed class RunbookTests
{
    private const string Plan = """
        name: shop-dr
        backup:
          repositories:
            local: { location: /srv/backup/local, passwordFile: /run/secrets/repo-password }
            offsite: { location: "s3://dr-bucket/shop", passwordEnvironmentVariable: OFFSITE_PASSWORD, settings: { Region: eu-west-1 } }
          sources:
            shopdb: { engine: postgres, connectionString: "Host=db;Username=backup;Database=shop", passwordEnvironmentVariable: SHOP_DB_PASSWORD }
          jobs:
            shop-db: { repository: local, source: shopdb, schedule: "0 * * * *", copyTo: [offsite] }
            uploads: { repository: local, paths: [/srv/uploads], schedule: "0 3 * * *" }
        systems:
          uploads:
            tier: 2
            rpo: 1d
            rto: 4h
            jobs: [uploads]
            steps:
              - name: Restore the uploads
                restore: { job: uploads, directory: /srv/uploads-restored, paths: [/srv/uploads/public] }
              - name: Check the uploads
                verify: { restore: Restore the uploads }
          shop:
            description: The web shop and its orders.
            tier: 1
            rpo: 2h
            rto: 45m
            jobs: [shop-db]
            copies:
              - { repository: offsite, offSite: true, media: object-storage }
            steps:
              - name: Restore the database from off site
                timeout: 20m
                restore: { job: shop-db, repository: offsite, connectionString: "Host=standby;Username=postgres", passwordFile: /run/secrets/standby, database: shop }
              - name: Switch DNS
                http:
                  url: https://dns.example/api/switch
                  body: '{"to":"standby"}'
                  expectStatus: [200, 202]
                  headers: { X-Zone: shop.example }
                  secretHeaders: { Authorization: "env:DNS_TOKEN" }
              - name: Scale up
                command: { run: [kubectl, scale, deploy/shop, "--replicas=3"], environment: { KUBECONFIG: /etc/dr/kubeconfig } }
              - name: Wait for the shop
                timeout: 5m
                waitFor: { url: "https://shop.example/health", interval: 5s }
              - name: Verify the database
                verify: { restore: Restore the database from off site }
        scratch:
          databases:
            postgres: { connectionString: "Host=scratch;Username=postgres", passwordEnvironmentVariable: SCRATCH_PASSWORD }
        """;

    /// <summary>
    /// The tool takes the file BACKUP_PASSWORD_FILE names before BACKUP_PASSWORD: a step that sets BACKUP_PASSWORD for
    /// its repository clears the file variable too, or one exported for another repository (docs/hosting.md shows
    /// `export … BACKUP_PASSWORD_FILE=…`) makes the step fail as a wrong password.
    /// </summary>
    [Fact]
    public void A_step_that_sets_BACKUP_PASSWORD_is_not_shadowed_by_an_exported_BACKUP_PASSWORD_FILE()
    {
        var plan = RecoveryPlanLoader.Parse(Plan, json: false, "plan.yaml", "/");

        var markdown = RecoveryRunbook.ToMarkdown(plan);

        var commands = markdown.Split('\n').Where(l => l.Contains("BACKUP_PASSWORD=", StringComparison.Ordinal) && l.Contains(" --repo ", StringComparison.Ordinal)).ToList();
        commands.Should().NotBeEmpty().And.OnlyContain(l => l.Contains("BACKUP_PASSWORD_FILE= BACKUP_PASSWORD=", StringComparison.Ordinal));
    }

    /// <summary>
    /// Job names are matched without regard to case (the plan's "uploads" is the configuration's "Uploads"), but a
    /// host tags its snapshots with the name as configured and --tag matches exactly: the runbook's commands use that.
    /// </summary>
    [Fact]
    public void A_job_named_in_another_case_than_configured_is_chosen_by_the_tag_its_host_writes()
    {
        var plan = RecoveryPlanLoader.Parse(Plan.Replace("uploads: { repository: local", "Uploads: { repository: local", StringComparison.Ordinal), json: false, "plan.yaml", "/");

        var markdown = RecoveryRunbook.ToMarkdown(plan);

        markdown.Should().Contain("restore latest --tag job:Uploads --target /srv/uploads-restored")
            .And.Contain("verify latest --tag job:Uploads")
            .And.NotContain("job:uploads");
    }

    [Fact]
    public void The_runbook_lists_systems_by_tier_and_each_step_with_the_commands_to_type()
    {
        var plan = RecoveryPlanLoader.Parse(Plan, json: false, "plan.yaml", "/");

        var markdown = RecoveryRunbook.ToMarkdown(plan);

        markdown.Should().StartWith("# Disaster-recovery runbook: shop-dr");
        markdown.IndexOf("## shop", StringComparison.Ordinal).Should().BeLessThan(markdown.IndexOf("## uploads", StringComparison.Ordinal), "tier 1 comes first");
        markdown.Should().Contain("| 1 | [shop](#shop) | 2h | 45m | shop-db | 5 |");
        markdown.Should().Contain("1. **Restore the database from off site** (at most 20m)");
        markdown.Should().Contain("export BACKUP_DB_PASSWORD=\"$(head -n 1 /run/secrets/standby)\"");
        markdown.Should().Contain("BACKUP_PASSWORD=\"${OFFSITE_PASSWORD}\" backup --repo s3://dr-bucket/shop restore latest --to-postgres 'Host=standby;Username=postgres' --database shop");
        markdown.Should().Contain("needs its provider's settings in the environment: Region");
        markdown.Should().Contain("curl -sS -X POST -H 'X-Zone: shop.example' -H \"Authorization: ${DNS_TOKEN}\" -H 'Content-Type: application/json' --data-raw '{\"to\":\"standby\"}'")
            .And.Contain("https://dns.example/api/switch | grep -qxE '200|202'");
        markdown.Should().Contain("KUBECONFIG=/etc/dr/kubeconfig kubectl scale deploy/shop --replicas=3");
        markdown.Should().Contain("timeout 300 sh -c 'until curl -s -o /dev/null -w \"%{http_code}\" \"$0\" | grep -qxE \"200\"; do sleep 5; done' https://shop.example/health");
        markdown.Should().Contain("export BACKUP_DB_PASSWORD=\"${SCRATCH_PASSWORD}\"")
            .And.Contain("BACKUP_PASSWORD=\"${OFFSITE_PASSWORD}\" backup --repo s3://dr-bucket/shop verify latest --scratch 'Host=scratch;Username=postgres'");

        // Two jobs share 'local': the tool's "latest" alone would be either one's, so the job's newest is chosen by its tag.
        markdown.Should().Contain("backup --repo /srv/backup/local --password-file /run/secrets/repo-password restore latest --tag job:uploads --target /srv/uploads-restored --include /srv/uploads/public")
            .And.NotContain("<snapshot ID>");
        markdown.Should().Contain("# Entries keep their snapshot paths below the target: /srv/uploads/public lands in /srv/uploads-restored/srv/uploads/public.", "an operator sees where the files end up before running it");
    }

    /// <summary>
    /// What the operator pastes must do only what the plan says: a plan's value with a line break must not end a
    /// comment and start a command, and names that go inside double quotes must not run anything there.
    /// </summary>
    [Fact]
    public void Plan_values_with_line_breaks_or_shell_syntax_stay_inert_in_the_runbook()
    {
        var hostile = Plan
            .Replace("paths: [/srv/uploads], schedule", "paths: [\"/srv/up\\nrm -rf / #\"], schedule", StringComparison.Ordinal)
            .Replace("directory: /srv/uploads-restored, paths: [/srv/uploads/public]", "directory: /srv/uploads-restored", StringComparison.Ordinal)
            .Replace("secretHeaders: { Authorization: \"env:DNS_TOKEN\" }", "secretHeaders: { \"A$(touch /tmp/pwned)\": \"env:X}$(touch /tmp/pwned)\" }", StringComparison.Ordinal)
            .Replace("offsite: { location: \"s3://dr-bucket/shop\", passwordEnvironmentVariable: OFFSITE_PASSWORD,", "offsite: { location: \"s3://dr-bucket/shop\", passwordEnvironmentVariable: \"X}$(touch /tmp/pwned)\",", StringComparison.Ordinal)
            .Replace("description: The web shop and its orders.", "description: \"The web shop.\\n```sh\\nrm -rf ~\\n```\"", StringComparison.Ordinal);
        var plan = RecoveryPlanLoader.Parse(hostile, json: false, "plan.yaml", "/");

        var markdown = RecoveryRunbook.ToMarkdown(plan);

        var lines = markdown.Split('\n');
        lines.Should().NotContain(l => l.TrimStart().StartsWith("rm -rf /", StringComparison.Ordinal), "the path's line break stays inside its comment");
        markdown.Should().Contain("/srv/up\\u000arm -rf / # lands in");
        lines.Should().NotContain("```sh", "a description cannot open a code block of its own (the runbook's own are indented in their step)");
        lines.Should().Contain("\\`\\`\\`sh", "the description's fence is shown, not rendered");
        lines.Where(l => l.Contains("touch /tmp/pwned", StringComparison.Ordinal)).Should().OnlyContain(
            l => !l.Contains("\"A$(", StringComparison.Ordinal) && !l.Contains("${X}", StringComparison.Ordinal) && !l.Contains("\"${X}$(", StringComparison.Ordinal) && !l.Contains("\"<", StringComparison.Ordinal),
            "names the shell would act on appear only single-quoted, as placeholders");
        markdown.Should().Contain("-H 'A$(touch /tmp/pwned): <A$(touch /tmp/pwned)>'")
            .And.Contain("BACKUP_PASSWORD='<value of the environment variable X}$(touch /tmp/pwned)>' backup --repo s3://dr-bucket/shop");
    }

    /// <summary>
    /// The runbook is read after the machine that ran the backups is gone: it says what the steps need that only that
    /// machine had (password files, the provider settings that lived in its configuration, the servers), where each
    /// off-site copy is, and gives a remote repository's settings as the variables the tool reads, with the plan's values.
    /// </summary>
    [Fact]
    public void The_runbook_lists_what_the_recovery_needs_from_off_the_machine_and_exports_an_sftp_copys_settings()
    {
        const string vaultPlan = """
            name: after-the-fire
            backup:
              repositories:
                local: { location: /srv/backup/local, passwordFile: /etc/backup/repo-password }
                vault: { location: "sftp://backup@vault.example:2222/srv/vault", passwordFile: /etc/backup/repo-password,
                         settings: { HostKey: "SHA256:abcDEF123", KeyFile: /etc/backup/id_vault } }
              sources:
                shopdb: { engine: postgres, connectionString: "Host=db;Username=backup;Database=shop", passwordFile: /etc/backup/db-password }
              jobs:
                shop-db: { repository: local, source: shopdb, schedule: "0 * * * *", copyTo: [vault] }
            systems:
              shop:
                rpo: 2h
                rto: 30m
                jobs: [shop-db]
                copies:
                  - { repository: vault, offSite: true }
                steps:
                  - name: Restore from the vault
                    restore: { job: shop-db, repository: vault, connectionString: "Host=standby;Username=postgres", passwordFile: /etc/backup/standby-password, database: shop }
                  - name: Verify
                    verify: { restore: Restore from the vault }
            scratch:
              databases:
                postgres: { connectionString: "Host=db;Username=postgres", passwordFile: /etc/backup/db-password }
            """;
        var plan = RecoveryPlanLoader.Parse(vaultPlan, json: false, "plan.yaml", "/");

        var markdown = RecoveryRunbook.ToMarkdown(plan, [new SftpTargetProvider()]);

        markdown.Should().Contain("## Before you start")
            .And.Contain("- Repository 'local' (`/srv/backup/local`): its password in the file `/etc/backup/repo-password`.")
            .And.Contain("- Repository 'vault' (`sftp://backup@vault.example:2222/srv/vault`): its password in the file `/etc/backup/repo-password`; and its provider's settings:")
            .And.Contain("The postgres server to restore into (`Host=standby;Username=postgres`), running and reachable, with its password in the file `/etc/backup/standby-password`.")
            .And.Contain("scratch server that verify steps restore a test copy into (`Host=db;Username=postgres`)")
            .And.Contain("a snapshot of one database holds no roles");
        markdown.Should().Contain("A system's recovery time (RTO) runs from the start of its first step to the end of its last");
        markdown.Should().Contain("- For PostgreSQL restores, `pg_restore` (Debian: `postgresql-client`) at least as new as the server that was backed up", "the new machine needs the client tools the restore runs")
            .And.NotContain("For MariaDB/MySQL restores", "the plan restores no MariaDB/MySQL database");
        markdown.Should().Contain("(a restore drill into scratch space); it does not look at what that step wrote.", "an operator must not take the verify step for a check of the restored database");

        // The plan's setting names mean nothing to the tool: the step exports the variables it reads, with the plan's values.
        var restoreStep = markdown[markdown.IndexOf("1. **Restore from the vault**", StringComparison.Ordinal)..];
        restoreStep.Should().Contain("export BACKUP_SFTP_HOST_KEY=SHA256:abcDEF123")
            .And.Contain("export BACKUP_SFTP_KEY_FILE=/etc/backup/id_vault")
            .And.Contain("backup --repo sftp://backup@vault.example:2222/srv/vault --password-file /etc/backup/repo-password restore latest --to-postgres");
        markdown.Should().NotContain("needs its provider's settings in the environment: HostKey");

        // The copy says how to reach it, not only its name.
        markdown.Should().Contain("- Copy in repository 'vault' (off site): recover from it when the primary is lost: the same commands with `backup --repo sftp://backup@vault.example:2222/srv/vault --password-file /etc/backup/repo-password`");
    }
}
