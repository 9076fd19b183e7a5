with

source_rows as (
    select * from {{ reference_rows('vendor_contracts') }} as vendor_contracts
),

final as (
    select
        {{ clean_text('contract_id') }} as contract_id,
        {{ clean_text('vendor_id') }} as vendor_id,
        lower({{ clean_text('pricing_model') }}) as pricing_model,
        upper({{ clean_text('currency') }}) as currency,
        {{ dbt.cast(clean_text('per_learner_rate'), 'decimal(20, 6)') }} as per_learner_rate,
        {{ dbt.cast(clean_text('retainer_fee'), 'decimal(20, 6)') }} as retainer_fee,
        lower({{ clean_text('retainer_period') }}) as retainer_period,
        {{ dbt.cast(clean_text('included_learners'), dbt.type_int()) }} as included_learners,
        {{ dbt.cast(clean_text('overage_rate'), 'decimal(20, 6)') }} as overage_rate,
        coalesce({{ parse_bool('bills_no_shows') }}, false) as bills_no_shows,
        {{ dbt.cast(clean_text('valid_from'), 'date') }} as valid_from,
        {{ dbt.cast(clean_text('valid_to'), 'date') }} as valid_to,
        {{ dbt.cast(clean_text('sla_on_time_delivery_pct'), 'decimal(9, 4)') }} as sla_on_time_delivery_pct,
        {{ dbt.cast(clean_text('sla_reporting_days'), dbt.type_int()) }} as sla_reporting_days
    from source_rows
    where {{ clean_text('contract_id') }} is not null
)

select * from final
