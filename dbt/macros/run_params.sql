{#- The night's run parameters: the values trainops computes anew every night (warehouse/dbt.py
    RUN_PARAMS: the as-of date, the compliance history window, the new loads of an incremental night).
    dbt only reads them, here: the var of that name when one is given (a unit test's overrides, a
    build by hand with --vars), else the environment variable TRAINOPS_PARAM_<NAME> that trainops sets,
    else `default`.

    Not vars on a night's build: a changed --vars value makes dbt re-parse the whole project. The
    environment variable is read only when dbt executes a node (`execute`), not while it parses, so a
    new value leaves the parsed project as it was and dbt parses partially. `at_parse=true` reads it
    while parsing too, for a value a model's config() needs; dbt then re-parses only the files that
    read it when it changes. -#}
{% macro run_param(name, default=none, at_parse=false) -%}
    {%- set value = var(name, none) -%}
    {%- set value = none if value is string and value | trim == '' else value -%}
    {%- if value is none and (execute or at_parse) -%}
        {%- set value = env_var('TRAINOPS_PARAM_' ~ (name | upper), '') -%}
        {%- set value = none if value == '' else value -%}
    {%- endif -%}
    {{ return(default if value is none else value) }}
{%- endmacro %}
