{#- Spark SQL (dbt-spark, `--target spark`): the Spark forms of the project's dispatched macros, and
    overrides of dbt-spark macros whose behaviour differs from DuckDB / Postgres (root-project
    macros take precedence over the adapter's). The session runs in UTC with ANSI mode off (as
    dbt-spark sets it): a failed cast is null, as `try_cast` would be. -#}

{#- dates.sql -#}

{% macro spark__to_business_date(timestamp_expression) -%}
    cast(from_utc_timestamp({{ timestamp_expression }}, '{{ var("business_timezone") }}') as date)
{%- endmacro %}

{#- dbt-spark's dateadd/datediff raise on a null date (assert_not_null) and count hours by
    elapsed seconds; these are null-safe and count boundaries crossed, as DuckDB and Postgres do.
    Other dateparts fall back to dbt-spark's. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart in ('day', 'week', 'month', 'quarter', 'year', 'hour', 'minute', 'second') -%}
        timestampadd({{ datepart | upper }}, cast({{ interval }} as bigint), {{ from_date_or_timestamp }})
    {%- else -%}
        {{ dbt_spark.spark__dateadd(datepart, interval, from_date_or_timestamp) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart in ('hour', 'minute', 'second') -%}
        {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1}[datepart] -%}
        ((unix_timestamp(date_trunc('{{ datepart }}', {{ second_date }}))
            - unix_timestamp(date_trunc('{{ datepart }}', {{ first_date }}))) div {{ seconds }})
    {%- else -%}
        {{ dbt_spark.spark__datediff(first_date, second_date, datepart) }}
    {%- endif -%}
{%- endmacro %}

{#- split_part as DuckDB / Postgres: the delimiter is literal text, a missing part is ''. -#}
{% macro spark__split_part(string_text, delimiter_text, part_number) -%}
    case when {{ string_text }} is not null then coalesce(
        element_at(split({{ string_text }}, concat('\\Q', {{ delimiter_text }}, '\\E')), {{ part_number }}), '')
    end
{%- endmacro %}

{#- listagg honouring `order by` (dbt-spark ignores it) and `distinct`. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set measure = measure | trim -%}
    {%- set is_distinct = measure[:9] | lower == 'distinct ' -%}
    {%- if is_distinct -%}{%- set measure = measure[9:] | trim -%}{%- endif -%}
    {%- set order_key = (order_by_clause | trim)[8:] if order_by_clause else measure -%}
    {%- if is_distinct and (order_key | trim) != measure -%}
        {{ exceptions.raise_compiler_error("listagg(distinct ...) on Spark orders by the measure only") }}
    {%- endif -%}
    {%- if is_distinct -%}
        {%- set collected = "array_sort(collect_set(" ~ measure ~ "))" -%}
    {%- else -%}
        {#- sort (key, value) pairs, keep the values: ties in the key are ordered by value -#}
        {%- set collected = "transform(array_sort(collect_list(named_struct('k', " ~ order_key ~ ", 'v', "
            ~ measure ~ "))), item -> item.v)" -%}
    {%- endif -%}
    {%- if limit_num -%}{%- set collected = "slice(" ~ collected ~ ", 1, " ~ limit_num ~ ")" -%}{%- endif -%}
    {#- string_agg over no (non-null) values is null -#}
    case when size(collect_list({{ measure }})) > 0 then array_join({{ collected }}, {{ delimiter_text }}) end
{%- endmacro %}

{#- billing.sql: exact, rounded half away from zero, on scaled integers (as on DuckDB); `div` is
    exact on decimals. -#}
{% macro spark__exact_divide(numerator, denominator, places) -%}
    (case when (({{ numerator }}) < 0) <> (({{ denominator }}) < 0) then -1 else 1 end
        * cast(
            (
                (cast(abs({{ numerator }}) * 1000000 as decimal(38, 0)) * {{ 10 ** places }} * 2)
                div nullif(cast(abs({{ denominator }}) * 1000000 as decimal(38, 0)), 0)
                + 1
            ) div 2
            as decimal(38, 0)
        ){% if places > 0 %} * {{ '0.' ~ ('0' * (places - 1)) ~ '1' }}{% endif %})
{%- endmacro %}

{#- values.sql -#}

{% macro spark__trim_trailing(expression, characters) -%}
    trim(trailing {{ characters }} from {{ expression }})
{%- endmacro %}

{#- lists.sql: Spark arrays. `size(null)` is -1 with ANSI off, hence the explicit null case. -#}

{% macro spark__split_list(column) -%}
    filter(transform(split(coalesce({{ column }}, ''), ';'), item -> trim(item)), item -> item <> '')
{%- endmacro %}

{% macro spark__list_size(column) -%}
    (case when {{ column }} is null then 0 else size({{ column }}) end)
{%- endmacro %}

{% macro spark__list_matches(list_column, value) -%}
    ({{ trainops.list_size(list_column) }} = 0
        or array_contains(transform({{ list_column }}, item -> lower(item)), lower({{ value }})))
{%- endmacro %}

{% macro spark__unnest_list(column) -%}
    lateral explode({{ column }})
{%- endmacro %}

{% macro spark__sorted_list_text(column) -%}
    coalesce(array_join(array_sort({{ column }}), ';'), '')
{%- endmacro %}

{% macro spark__empty_text_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{#- landing.sql: `entities` is a map<string, bigint> (warehouse/spark_target.py declares it). -#}
{% macro spark__manifest_entity_counts(manifests) -%}
    select
        {{ manifests }}.load_id,
        {{ manifests }}.source,
        counts.entity,
        cast(counts.manifest_rows as bigint) as manifest_rows
    from {{ manifests }}
    lateral view explode({{ manifests }}.entities) counts as entity, manifest_rows
{%- endmacro %}

{#- Model contracts: the YAML's data types are DuckDB/Postgres names; Spark's for the check. -#}
{% macro spark_data_type(data_type) -%}
    {%- set normalized = data_type | trim | lower -%}
    {%- if normalized in ('varchar', 'text') -%} string
    {%- elif normalized in ('timestamp with time zone', 'timestamptz') -%} timestamp
    {%- elif normalized == 'integer' -%} int
    {%- else -%} {{ data_type }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = {} -%}
        {%- do copy.update(column) -%}
        {%- do copy.update({'data_type': trainops.spark_data_type(column['data_type']) | trim}) -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{%- endmacro %}

{#- Contract constraints: Spark enforces `not null` only on Delta tables (dbt-spark then ALTERs the
    columns); on the default Parquet tables the built table is checked instead, and a null in a
    `not_null` column fails the model as the constraint does on DuckDB / Postgres. -#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- set contract_config = config.get('contract') -%}
    {%- if contract_config.enforced and config.get('file_format') == 'delta' -%}
        {%- do alter_table_add_constraints(relation, model.constraints) -%}
        {%- do alter_column_set_constraints(relation, model.columns) -%}
    {%- elif contract_config.enforced -%}
        {%- set not_null = [] -%}
        {%- for name, column in model.columns.items() -%}
            {%- for constraint in column.get('constraints', []) -%}
                {%- if constraint.type == 'not_null' -%}{%- do not_null.append(name) -%}{%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not_null -%}
            {%- set counts = [] -%}
            {%- for name in not_null -%}
                {%- do counts.append("count(case when " ~ adapter.quote(name) ~ " is null then 1 end)") -%}
            {%- endfor -%}
            {%- set row = run_query("select " ~ counts | join(', ') ~ " from " ~ relation).rows[0] -%}
            {%- for name in not_null -%}
                {%- if row[loop.index0] > 0 -%}
                    {{ exceptions.raise_compiler_error(
                        "contract of " ~ relation ~ ": column " ~ name ~ " has " ~ row[loop.index0]
                        ~ " null value(s) but is not_null") }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
