{#- Explicit learner identities (docs/data-model.md, learner identity). The file is optional: without
    it (DuckDB reads the CSV directly; the warehouse loaders create an empty table) there are no
    aliases (macro reference_rows). alias_ref is the alias in the form int_learners_resolved compares learner references
    in: `account:` / `user:` / `mbox_sha1sum:` prefixed by its kind (unless already), then
    normalised like a reference (trimmed, `mailto:` stripped, lowercased). -#}
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

source_rows as (
    select * from {{ reference_rows('learner_aliases') }} as learner_aliases
),

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
