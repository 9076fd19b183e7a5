{#- `left` and `right` agree on the columns `keys` (plain equalities: a hash join on every engine). -#}
{% macro key_match(left, right, keys) -%}
    {%- for key in keys %}
    {{ left }}.{{ key }} = {{ right }}.{{ key }}{% if not loop.last %} and{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The rows of `relation` whose natural key (`keys`: entity, key_text, key_is_null) is one of
    `key_relation`'s (distinct keys, few): a semi-join on key_text first, which every engine runs
    as a hash join built on the few keys (a correlated exists over three columns may not be), then
    the exact match on the few rows left. -#}
{% macro rows_with_keys(relation, key_relation, keys) -%}
    select candidates.*
    from (
        select *
        from {{ relation }}
        where {{ relation }}.key_text in (select {{ key_relation }}.key_text from {{ key_relation }})
    ) as candidates
    inner join {{ key_relation }}
        on {{ key_match(key_relation, 'candidates', keys) }}
{%- endmacro %}

{#- The CTEs of int_landed_rows_classified's incremental build, ending with `changed_keys` (the
    natural keys, `keys`, to classify again) and a comma. `landed` and `staged` are the model's CTEs
    of every landed row and of every row staging keeps now; {{ this }} is the base's classification.

    The keys: those of the new loads' rows, and those of the old loads' rows whose "staged" changed.
    Staging keeps an old row it did not keep before (`gained`: none while staging's rankings only
    gain candidates, checked all the same) or no longer keeps one it kept (`lost`: a new version won
    its key). A lost row is looked for first among the rows of the new loads' keys (`lost_found`,
    cheap: the staging key is the cleaned natural key, so a replaced row has the new version's raw
    key unless cleaning merged two raw spellings). The count of a load's staged rows tells whether
    that found them all (before - lost + gained = now); in a load where it did not, every row it had
    staged is compared with staging (`lost_elsewhere`). -#}
{% macro landed_rows_changed_keys(landed, staged, keys) -%}
previous as (
    select
        entity,
        _load_id,
        _row,
        coalesce(natural_key, '') as key_text,
        (natural_key is null) as key_is_null,
        outcome
    from {{ this }}
),

new_rows_keys as (
    select distinct {{ keys | join(', ') }}
    from {{ landed }}
    where {{ is_new_load(landed) }}
),

old_staged as (
    select * from {{ staged }} where not ({{ is_new_load(staged) }})
),

gained as (
    select previous.entity, previous._load_id, previous._row, previous.key_text, previous.key_is_null
    from previous
    inner join old_staged
        on previous.entity = old_staged.entity
        and previous._load_id = old_staged._load_id
        and previous._row = old_staged._row
    where previous.outcome <> 'staged'
),

previous_staged as (
    select entity, _load_id, _row, key_text, key_is_null
    from previous
    where outcome = 'staged'
),

staged_before_in_new_keys as (
    {{ rows_with_keys('previous_staged', 'new_rows_keys', keys) }}
),

still_staged_in_new_keys as (
    select candidates.entity, candidates._load_id, candidates._row
    from staged_before_in_new_keys as candidates
    inner join old_staged
        on candidates.entity = old_staged.entity
        and candidates._load_id = old_staged._load_id
        and candidates._row = old_staged._row
),

lost_found as (
    select candidates.*
    from staged_before_in_new_keys as candidates
    left join still_staged_in_new_keys as kept
        on candidates.entity = kept.entity
        and candidates._load_id = kept._load_id
        and candidates._row = kept._row
    where kept._row is null
),

load_counts as (
    select entity, _load_id, 1 as staged_before, 0 as staged_now, 0 as found_lost, 0 as found_gained
    from previous where outcome = 'staged'
    union all
    select entity, _load_id, 0, 1, 0, 0 from old_staged
    union all
    select entity, _load_id, 0, 0, 1, 0 from lost_found
    union all
    select entity, _load_id, 0, 0, 0, 1 from gained
),

unexplained_loads as (
    -- loads with staged rows lost that lost_found did not find
    select entity, _load_id
    from load_counts
    group by entity, _load_id
    having sum(staged_before) - sum(found_lost) + sum(found_gained) <> sum(staged_now)
),

staged_before_elsewhere as (
    select previous.entity, previous._load_id, previous._row, previous.key_text, previous.key_is_null
    from previous
    inner join unexplained_loads
        on previous.entity = unexplained_loads.entity
        and previous._load_id = unexplained_loads._load_id
    where previous.outcome = 'staged'
),

staged_now_elsewhere as (
    select old_staged.entity, old_staged._load_id, old_staged._row
    from old_staged
    inner join unexplained_loads
        on old_staged.entity = unexplained_loads.entity
        and old_staged._load_id = unexplained_loads._load_id
),

lost_elsewhere as (
    select candidates.*
    from staged_before_elsewhere as candidates
    left join staged_now_elsewhere as kept
        on candidates.entity = kept.entity
        and candidates._load_id = kept._load_id
        and candidates._row = kept._row
    where kept._row is null
),

changed_keys as (
    select {{ keys | join(', ') }} from new_rows_keys
    union
    select {{ keys | join(', ') }} from gained
    union
    select {{ keys | join(', ') }} from lost_found
    union
    select {{ keys | join(', ') }} from lost_elsewhere
),
{%- endmacro %}
