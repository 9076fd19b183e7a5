{#- Every learner reference seen in the standing learning records, bookings or invoice lines,
    resolved to an employee per (source, learner_ref) (docs/data-model.md, learner identity). On
    each day the first rule that applies decides (resolution_method):
    1. an explicit alias (stg_reference__learner_aliases) valid that day — the source's own aliases
       before those for any source; two employees for one alias resolve to neither
       (ambiguous_alias);
    2. email (`mailto:` stripped, any case) against every email the roster gave, its latest holder;
    3. a bare reference equal to an employee_id;
    4. `mbox_sha1sum:<hex>` against the SHA-1 of `mailto:` + a roster email;
    5. an account name or `user:` id equal to an employee_id (account_employee_id), then to an
       email (account_email) — only for the sources var `learner_matching` lists for it.
    Otherwise unresolved (employee_id null: reported, never dropped). Aliases have validity dates,
    so a reference has periods (valid_from null = since always, valid_to exclusive, null = open)
    covering every date; records join on (source, learner_ref, their date) with
    learner_resolved_on(). -#}
{%- set match_account_to_id = learner_matching_sources('employee_id') -%}
{%- set match_account_to_email = learner_matching_sources('email') -%}
{%- set since_always = dbt.cast(dbt.string_literal('0001-01-01'), 'date') -%}

with

learning_records as (
    select * from {{ ref('int_learning_records_standing') }}
),

bookings as (
    select * from {{ ref('stg_lms__bookings') }}
),

invoice_lines as (
    select * from {{ ref('stg_vendor__invoice_lines') }}
),

invoices as (
    select * from {{ ref('stg_vendor__invoices') }}
),

employees as (
    select * from {{ ref('stg_hris__employees') }}
),

aliases as (
    select * from {{ ref('stg_reference__learner_aliases') }}
),

invoice_line_refs as (
    select
        invoice_lines._source,
        billed.learner_ref,
        invoices.issue_date as seen_date
    from invoice_lines
    left join invoices
        on invoice_lines.document_id = invoices.document_id
    cross join {{ unnest_list('invoice_lines.learner_refs') }} as billed (learner_ref)
),

observations as (
    select _source as source, learner_ref, 'learning_records' as seen_in, occurred_date as seen_date
    from learning_records
    union all
    select _source as source, learner_ref, 'bookings' as seen_in,
        {{ to_business_date('coalesce(updated_at, booked_at)') }} as seen_date
    from bookings
    union all
    select _source as source, learner_ref, 'invoice_lines' as seen_in, seen_date
    from invoice_line_refs
),

sightings as (
    select
        source,
        learner_ref,
        seen_in,
        seen_date,
        count(*) as occurrences
    from observations
    where learner_ref is not null
    group by source, learner_ref, seen_in, seen_date
),

learner_refs as (
    -- normalised once per reference, not once per sighting
    select
        source,
        learner_ref,
        {{ normalize_learner_ref('learner_ref') }} as normalized_ref
    from (select distinct source, learner_ref from sightings) as seen_refs
),

classified as (
    select
        *,
        case
            when substring(normalized_ref, 1, 8) = 'account:' then 'account'
            when substring(normalized_ref, 1, 5) = 'user:' then 'user'
            when substring(normalized_ref, 1, 13) = 'mbox_sha1sum:' then 'mbox_sha1sum'
            when normalized_ref like '%@%' then 'email'
            else 'identifier'
        end as learner_ref_kind,
        -- what an account or a source's user id names, as written
        case
            when substring(normalized_ref, 1, 8) = 'account:' then trim({{ dbt.split_part('learner_ref', "'|'", 2) }})
            when substring(normalized_ref, 1, 5) = 'user:' then trim(substring(trim(learner_ref), 6))
        end as account_name
    from learner_refs
),

match_keys as (
    -- what each direct rule compares, null where the rule does not apply (plain equality joins)
    select
        *,
        case when learner_ref_kind = 'identifier' then trim(learner_ref) end as id_key,
        case when learner_ref_kind = 'mbox_sha1sum' then substring(normalized_ref, 14) end as hash_key,
        case when {{ in_text_list('source', match_account_to_id) }} then account_name end as account_id_key,
        case when {{ in_text_list('source', match_account_to_email) }} then lower(account_name) end
            as account_email_key
    from classified
),

email_owners as (
    -- An email that several employees held over time belongs to whoever held it most recently.
    select
        email_normalized,
        employee_id,
        row_number() over (
            partition by email_normalized
            order by max(snapshot_date) desc, employee_id
        ) as owner_rank
    from employees
    where email_normalized is not null
    group by email_normalized, employee_id
),

current_email_owners as (
    select email_normalized, employee_id
    from email_owners
    where owner_rank = 1
),

known_employee_ids as (
    select distinct employee_id
    from employees
),

email_hashes as (
    -- xAPI mbox_sha1sum: SHA-1 of the mbox IRI, `mailto:` + the address, as HR spells it or lowercased
    select distinct
        {{ sha1_hex(dbt.concat(["'mailto:'", 'spellings.email'])) }} as mbox_sha1sum,
        current_email_owners.employee_id
    from (select distinct email, email_normalized from employees where email is not null) as spellings
    inner join current_email_owners
        on spellings.email_normalized = current_email_owners.email_normalized
    union
    select
        {{ sha1_hex(dbt.concat(["'mailto:'", 'email_normalized'])) }} as mbox_sha1sum,
        employee_id
    from current_email_owners
),

direct_matches as (
    select
        match_keys.*,
        by_email.employee_id as email_employee_id,
        by_id.employee_id as id_employee_id,
        by_hash.employee_id as hash_employee_id,
        by_account_id.employee_id as account_id_employee_id,
        by_account_email.employee_id as account_email_employee_id
    from match_keys
    left join current_email_owners as by_email
        on match_keys.normalized_ref = by_email.email_normalized
    left join known_employee_ids as by_id
        on match_keys.id_key = by_id.employee_id
    left join email_hashes as by_hash
        on match_keys.hash_key = by_hash.mbox_sha1sum
    left join known_employee_ids as by_account_id
        on match_keys.account_id_key = by_account_id.employee_id
    left join current_email_owners as by_account_email
        on match_keys.account_email_key = by_account_email.email_normalized
),

direct as (
    select
        source,
        learner_ref,
        normalized_ref,
        learner_ref_kind,
        coalesce(
            email_employee_id, id_employee_id, hash_employee_id, account_id_employee_id, account_email_employee_id
        ) as direct_employee_id,
        case
            when email_employee_id is not null then 'email'
            when id_employee_id is not null then 'employee_id'
            when hash_employee_id is not null then 'mbox_sha1sum'
            when account_id_employee_id is not null then 'account_employee_id'
            when account_email_employee_id is not null then 'account_email'
            else 'unresolved'
        end as direct_method
    from direct_matches
),

alias_matches as (
    -- aliases naming an employee HR knows (others are a staging warning), inclusive dates
    select
        classified.source,
        classified.learner_ref,
        aliases.employee_id,
        coalesce(aliases.valid_from, {{ since_always }}) as alias_from,
        aliases.valid_to as alias_to,
        case when aliases.source is null then 2 else 1 end as scope_rank
    from classified
    inner join aliases
        on aliases.alias_ref = classified.normalized_ref
        and (aliases.source is null or aliases.source = classified.source)
    inner join known_employee_ids
        on aliases.employee_id = known_employee_ids.employee_id
),

boundaries as (
    -- the days on which the aliases that apply to a reference can change (references no alias
    -- matches have one period: see periods)
    select source, learner_ref, {{ since_always }} as segment_start from alias_matches
    union
    select source, learner_ref, alias_from as segment_start from alias_matches
    union
    select source, learner_ref, {{ add_days('alias_to', 1) }} as segment_start
    from alias_matches
    where alias_to is not null
),

segments as (
    select
        source,
        learner_ref,
        segment_start,
        lead(segment_start) over (partition by source, learner_ref order by segment_start) as segment_end
    from boundaries
),

segment_aliases as (
    -- an alias that holds on a segment's first day holds on all of it (its ends are boundaries)
    select
        segments.source,
        segments.learner_ref,
        segments.segment_start,
        alias_matches.employee_id,
        alias_matches.scope_rank,
        min(alias_matches.scope_rank) over (
            partition by segments.source, segments.learner_ref, segments.segment_start
        ) as best_scope_rank
    from segments
    inner join alias_matches
        on segments.source = alias_matches.source
        and segments.learner_ref = alias_matches.learner_ref
        and alias_matches.alias_from <= segments.segment_start
        and coalesce(alias_matches.alias_to, {{ open_end_date() }}) >= segments.segment_start
),

segment_alias_employees as (
    select distinct source, learner_ref, segment_start, employee_id
    from segment_aliases
    where scope_rank = best_scope_rank
),

alias_outcomes as (
    select
        source,
        learner_ref,
        segment_start,
        count(*) as alias_employee_count,
        min(employee_id) as alias_employee_id,
        {{ dbt.listagg('employee_id', "';'", 'order by employee_id') }} as alias_employee_ids
    from segment_alias_employees
    group by source, learner_ref, segment_start
),

segment_outcomes as (
    select
        segments.source,
        segments.learner_ref,
        segments.segment_start,
        segments.segment_end,
        case
            when alias_outcomes.alias_employee_count = 1 then alias_outcomes.alias_employee_id
            when alias_outcomes.alias_employee_count > 1 then null
            else direct.direct_employee_id
        end as employee_id,
        case
            when alias_outcomes.alias_employee_count = 1 then 'alias'
            when alias_outcomes.alias_employee_count > 1 then 'ambiguous_alias'
            else direct.direct_method
        end as resolution_method,
        case when alias_outcomes.alias_employee_count > 1 then alias_outcomes.alias_employee_ids end
            as ambiguous_alias_employee_ids
    from segments
    inner join direct
        on segments.source = direct.source
        and segments.learner_ref = direct.learner_ref
    left join alias_outcomes
        on segments.source = alias_outcomes.source
        and segments.learner_ref = alias_outcomes.learner_ref
        and segments.segment_start = alias_outcomes.segment_start
),

segment_changes as (
    -- consecutive segments with the same outcome make one period
    select
        *,
        case
            when lag({{ dbt.concat(["coalesce(employee_id, '')", "'|'", 'resolution_method', "'|'",
                                    "coalesce(ambiguous_alias_employee_ids, '')"]) }}) over (
                    partition by source, learner_ref order by segment_start)
                = {{ dbt.concat(["coalesce(employee_id, '')", "'|'", 'resolution_method', "'|'",
                                 "coalesce(ambiguous_alias_employee_ids, '')"]) }}
                then 0
            else 1
        end as starts_period
    from segment_outcomes
),

segment_periods as (
    select
        *,
        sum(starts_period) over (
            partition by source, learner_ref order by segment_start rows between unbounded preceding and current row
        ) as period_number
    from segment_changes
),

periods as (
    select
        source,
        learner_ref,
        {{ dbt.cast('period_number', dbt.type_int()) }} as period_number,
        nullif(min(segment_start), {{ since_always }}) as valid_from,
        case when count(segment_end) = count(*) then max(segment_end) end as valid_to,
        min(employee_id) as employee_id,
        min(resolution_method) as resolution_method,
        min(ambiguous_alias_employee_ids) as ambiguous_alias_employee_ids
    from segment_periods
    group by source, learner_ref, period_number
    union all
    select
        direct.source,
        direct.learner_ref,
        {{ dbt.cast('1', dbt.type_int()) }} as period_number,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        direct.direct_employee_id as employee_id,
        direct.direct_method as resolution_method,
        cast(null as {{ dbt.type_string() }}) as ambiguous_alias_employee_ids
    from direct
    left join (select distinct source, learner_ref from alias_matches) as aliased
        on direct.source = aliased.source
        and direct.learner_ref = aliased.learner_ref
    where aliased.learner_ref is null
),

period_sightings as (
    select
        periods.source,
        periods.learner_ref,
        periods.period_number,
        sum(case when sightings.seen_in = 'learning_records' then sightings.occurrences else 0 end)
            as learning_record_count,
        sum(case when sightings.seen_in = 'bookings' then sightings.occurrences else 0 end) as booking_count,
        sum(case when sightings.seen_in = 'invoice_lines' then sightings.occurrences else 0 end)
            as invoice_line_count,
        min(sightings.seen_date) as first_seen_date,
        max(sightings.seen_date) as last_seen_date
    from periods
    inner join sightings
        on {{ learner_resolved_on('periods', 'sightings.source', 'sightings.learner_ref', 'sightings.seen_date') }}
    group by periods.source, periods.learner_ref, periods.period_number
),

final as (
    select
        periods.source,
        periods.learner_ref,
        periods.period_number,
        periods.valid_from,
        periods.valid_to,
        direct.normalized_ref,
        direct.learner_ref_kind,
        periods.employee_id,
        periods.resolution_method,
        periods.ambiguous_alias_employee_ids,
        -- The identity used to match the same learner across systems: the employee when known,
        -- otherwise the normalised reference.
        coalesce(periods.employee_id, direct.normalized_ref) as learner_identity,
        {{ dbt.cast('coalesce(period_sightings.learning_record_count, 0)', dbt.type_bigint()) }}
            as learning_record_count,
        {{ dbt.cast('coalesce(period_sightings.booking_count, 0)', dbt.type_bigint()) }} as booking_count,
        {{ dbt.cast('coalesce(period_sightings.invoice_line_count, 0)', dbt.type_bigint()) }}
            as invoice_line_count,
        period_sightings.first_seen_date,
        period_sightings.last_seen_date
    from periods
    inner join direct
        on periods.source = direct.source
        and periods.learner_ref = direct.learner_ref
    left join period_sightings
        on periods.source = period_sightings.source
        and periods.learner_ref = period_sightings.learner_ref
        and periods.period_number = period_sightings.period_number
)

select * from final
