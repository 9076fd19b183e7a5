{#- Explicit learner identities (docs/data-model.md, learner identity). The file is optional: without
    it (DuckDB reads the CSV directly; the warehouse loaders create an empty table) there are no
    aliases. alias_ref is the alias in the form int_learners_resolved compares learner references
    in: `account:` / `user:` / `mbox_sha1sum:` prefixed by its kind (unless already), then
    normalised like a reference (trimmed, `mailto:` stripped, lowercased). -#}
{%- set aliases = source('reference', 'learner_aliases') -%}
{%- set alias_in_ref_form -%}
    case
        {%- for kind in ['account', 'user', 'mbox_sha1sum'] %}
        when alias_kind = '{{ kind }}' and lower(substring(alias, 1, {{ kind | length + 1 }})) <> '{{ kind }}:'
            then {{ dbt.concat(["'" ~ kind ~ ":'", 'alias']) }}
        {%- endfor %}
        else alias
    end
{%- endset -%}

with

{% if external_files_exist(aliases) -%}
source_rows as (
    select * from {{ aliases }} as learner_aliases
),
{%- else -%}
-- No learner_aliases.csv in the reference directory: no aliases.
source_rows as (
    select
        cast(null as {{ dbt.type_string() }}) as alias,
        cast(null as {{ dbt.type_string() }}) as alias_kind,
        cast(null as {{ dbt.type_string() }}) as source,
        cast(null as {{ dbt.type_string() }}) as employee_id,
        cast(null as {{ dbt.type_string() }}) as valid_from,
        cast(null as {{ dbt.type_string() }}) as valid_to
    where 1 = 0
),
{%- endif %}

cleaned as (
    select
        {{ clean_text('alias') }} as alias,
        lower({{ clean_text('alias_kind') }}) as alias_kind,
        {{ clean_text('source') }} as source,
        {{ clean_text('employee_id') }} as employee_id,
        {{ clean_text('valid_from') }} as valid_from_text,
        {{ clean_text('valid_to') }} as valid_to_text
    from source_rows
    where {{ clean_text('alias') }} is not null
),

final as (
    select
        alias,
        alias_kind,
        {{ normalize_learner_ref(alias_in_ref_form) }} as alias_ref,
        source,
        employee_id,
        {{ dbt.safe_cast('valid_from_text', 'date') }} as valid_from,
        {{ dbt.safe_cast('valid_to_text', 'date') }} as valid_to,
        valid_from_text,
        valid_to_text
    from cleaned
)

select * from final
