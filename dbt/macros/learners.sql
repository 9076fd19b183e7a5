{#- Learner identity helpers (docs/data-model.md, learner identity). -#}

{#- The sources of var `learner_matching` ({source name: [employee_id, email]}) whose account names
    and `user:` ids may match employees directly by `match_to` (employee_id or email). A source
    not listed never does: an LMS's user `1` must not become HR employee `1`. -#}
{% macro learner_matching_sources(match_to) -%}
    {%- set matching = var('learner_matching', {}) or {} -%}
    {%- if matching is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var learner_matching must map source names to lists of employee_id / email, not " ~ matching) }}
    {%- endif -%}
    {%- set sources = [] -%}
    {%- for source, targets in matching.items() -%}
        {%- set targets = [targets] if targets is string else (targets or []) -%}
        {%- for target in targets -%}
            {%- if target not in ('employee_id', 'email') -%}
                {{ exceptions.raise_compiler_error(
                    "var learner_matching." ~ source ~ ": '" ~ target ~ "' is not employee_id or email") }}
            {%- endif -%}
        {%- endfor -%}
        {%- if match_to in targets -%}
            {%- do sources.append(source | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(sources) }}
{%- endmacro %}

{#- `expression in ('a', 'b')`, or false for no values. -#}
{% macro in_text_list(expression, values) -%}
    {%- if values -%}
        {{ expression }} in ({% for value in values %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{#- Join predicate: the int_learners_resolved row (`learners`) that resolves reference `learner_ref`
    of source `source` on `on_date`. Every (source, reference) has periods that cover all dates
    (valid_from null = since always, valid_to exclusive, null = open); a record without a date
    takes the latest period. Equalities and plain comparisons only (no `or`), so engines hash-join
    on (source, learner_ref) and filter (an `or` made DuckDB loop over every pair). -#}
{% macro learner_resolved_on(learners, source, learner_ref, on_date) -%}
    {%- set record_date = "coalesce(" ~ on_date ~ ", " ~ dbt.cast(dbt.string_literal('9999-12-30'), 'date') ~ ")" -%}
    {{ learners }}.source = {{ source }}
    and {{ learners }}.learner_ref = {{ learner_ref }}
    and {{ record_date }} >= coalesce({{ learners }}.valid_from, {{ dbt.cast(dbt.string_literal('0001-01-01'), 'date') }})
    and {{ record_date }} < coalesce({{ learners }}.valid_to, {{ open_end_date() }})
{%- endmacro %}

{#- Lowercase hex SHA-1 of a text (xAPI mbox_sha1sum). Postgres has it through the pgcrypto
    extension (a trusted extension: created here when missing and the role may; otherwise mbox_sha1sum
    references stay unresolved and the build logs why). -#}
{% macro sha1_hex(expression) -%}
    {{ return(adapter.dispatch('sha1_hex', 'trainops')(expression)) }}
{%- endmacro %}

{% macro default__sha1_hex(expression) -%}
    lower(sha1({{ expression }}))
{%- endmacro %}

{% macro postgres__sha1_hex(expression) -%}
    {%- if not execute or pgcrypto_available() -%}
        encode(digest({{ expression }}, 'sha1'), 'hex')
    {%- else -%}
        {%- do log("trainops: the pgcrypto extension is missing and cannot be created: mbox_sha1sum learner "
                   ~ "references stay unresolved (create extension pgcrypto)", info=true) -%}
        cast(null as text)
    {%- endif -%}
{%- endmacro %}

{% macro pgcrypto_available() -%}
    {%- set probe = "select to_regprocedure('digest(text, text)') is not null" -%}
    {%- if not run_query(probe).columns[0].values()[0] -%}
        {%- do run_query("do $$ begin create extension if not exists pgcrypto; "
                         ~ "exception when insufficient_privilege then null; end $$") -%}
    {%- endif -%}
    {{ return(run_query(probe).columns[0].values()[0]) }}
{%- endmacro %}

{#- The learner's name a learning record or booking carries in its source payload (`raw`): an
    xAPI actor's `name`, or a name column a CSV export kept (learner_name, full_name, name). -#}
{% macro learner_name_from_raw(raw) -%}
    {{ return(adapter.dispatch('learner_name_from_raw', 'trainops')(raw)) }}
{%- endmacro %}

{% macro default__learner_name_from_raw(raw) -%}
    nullif(trim(coalesce(
        cast({{ raw }} as jsonb) #>> '{actor,name}',
        cast({{ raw }} as jsonb) ->> 'learner_name',
        cast({{ raw }} as jsonb) ->> 'full_name',
        cast({{ raw }} as jsonb) ->> 'name'
    )), '')
{%- endmacro %}

{% macro duckdb__learner_name_from_raw(raw) -%}
    nullif(trim(coalesce(
        json_extract_string({{ raw }}, '$.actor.name'),
        json_extract_string({{ raw }}, '$.learner_name'),
        json_extract_string({{ raw }}, '$.full_name'),
        json_extract_string({{ raw }}, '$.name')
    )), '')
{%- endmacro %}

{% macro spark__learner_name_from_raw(raw) -%}
    nullif(trim(coalesce(
        get_json_object({{ raw }}, '$.actor.name'),
        get_json_object({{ raw }}, '$.learner_name'),
        get_json_object({{ raw }}, '$.full_name'),
        get_json_object({{ raw }}, '$.name')
    )), '')
{%- endmacro %}
