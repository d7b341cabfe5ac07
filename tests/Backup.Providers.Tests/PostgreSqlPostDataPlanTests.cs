using Backup.Providers.PostgreSql;

namespace Backup.Providers.Tests;

/// <summary>Which post-data entries a parallel restore builds right after their table's rows (see PostDataPlan).</summary>
public sealed class PostgreSqlPostDataPlanTests
{
    // pg_restore --list and pg_restore --section=post-data --file=- of one schema archive (PostgreSQL 15), with a
    // table and a schema whose names need quotes.
    private const string Listing = """
        ;
        ; Archive created at 2026-12-02 14:40:00 UTC
        ;
        214; 1259 16385 TABLE public accounts postgres
        215; 1259 16392 TABLE public events postgres
        216; 1259 16410 TABLE Odd Schema Big Table postgres
        3206; 2606 16391 CONSTRAINT public accounts accounts_pkey postgres
        3209; 2606 16398 CONSTRAINT public events events_pkey postgres
        3204; 1259 16415 INDEX public accounts_name postgres
        3207; 1259 16416 INDEX public events_account_at postgres
        3210; 1259 16417 INDEX Odd Schema big id postgres
        3212; 2620 16420 TRIGGER public events events_audit postgres
        3211; 2606 16399 FK CONSTRAINT public events events_account_fkey postgres

        """;

    private const string Script = """
        --
        -- PostgreSQL database dump
        --

        SET default_tablespace = '';

        --
        -- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.accounts
            ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


        --
        -- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.events
            ADD CONSTRAINT events_pkey PRIMARY KEY (id);


        --
        -- Name: accounts_name; Type: INDEX; Schema: public; Owner: postgres
        --

        CREATE INDEX accounts_name ON public.accounts USING btree (name);


        --
        -- Name: events_account_at; Type: INDEX; Schema: public; Owner: postgres
        --

        CREATE INDEX events_account_at ON public.events USING btree (account, at);


        --
        -- Name: big id; Type: INDEX; Schema: Odd Schema; Owner: postgres
        --

        CREATE UNIQUE INDEX "big id" ON "Odd Schema"."Big Table" USING btree (id);


        --
        -- Name: events events_audit; Type: TRIGGER; Schema: public; Owner: postgres
        --

        CREATE TRIGGER events_audit AFTER INSERT ON public.events FOR EACH ROW EXECUTE FUNCTION public.note();


        --
        -- Name: events events_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.events
            ADD CONSTRAINT events_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(id);

        """;

    private static readonly DriverTable Accounts = new("public", "accounts", "000000.copy");
    private static readonly DriverTable Events = new("public", "events", "000001.copy");
    private static readonly DriverTable Big = new("Odd Schema", "Big Table", "000002.copy");

    [Fact]
    public void A_tables_indexes_and_keys_go_early_and_foreign_keys_and_triggers_stay_for_the_final_pass()
    {
        var plan = PostDataPlan.Build(Listing, Script, [Accounts, Events, Big]);

        plan.Early.Keys.Should().BeEquivalentTo("public.accounts", "public.events", "Odd Schema.Big Table");
        plan.Early["public.accounts"].Should().Equal(
            "3206; 2606 16391 CONSTRAINT public accounts accounts_pkey postgres", "3204; 1259 16415 INDEX public accounts_name postgres");
        plan.Early["public.events"].Should().Equal(
            "3209; 2606 16398 CONSTRAINT public events events_pkey postgres", "3207; 1259 16416 INDEX public events_account_at postgres");
        plan.Early["Odd Schema.Big Table"].Should().Equal("3210; 1259 16417 INDEX Odd Schema big id postgres");

        var rest = plan.Rest.Split('\n');
        rest.Should().Contain("3212; 2620 16420 TRIGGER public events events_audit postgres");
        rest.Should().Contain("3211; 2606 16399 FK CONSTRAINT public events events_account_fkey postgres");
        rest.Should().Contain("214; 1259 16385 TABLE public accounts postgres");
        rest.Should().NotContain(l => l.Contains(" INDEX ", StringComparison.Ordinal) || l.Contains(" CONSTRAINT public accounts", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_tables_asked_for_go_early()
    {
        var plan = PostDataPlan.Build(Listing, Script, [Events]);

        plan.Early.Keys.Should().Equal("public.events");
        plan.Rest.Split('\n').Should().Contain("3204; 1259 16415 INDEX public accounts_name postgres");
        PostDataPlan.Build(Listing, Script, []).Early.Should().BeEmpty();
    }

    [Fact]
    public void A_listing_that_does_not_fit_the_script_gives_no_early_entries()
    {
        // The script names an index the listing does not hold: nothing is planned early, so one pass builds all.
        var plan = PostDataPlan.Build(Listing.Replace("INDEX public accounts_name", "INDEX public other_name", StringComparison.Ordinal), Script, [Accounts, Events, Big]);

        plan.Early.Should().BeEmpty();
        plan.Rest.Should().BeEmpty();
    }
}
