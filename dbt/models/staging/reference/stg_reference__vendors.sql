with

source_rows as (
    select * from {{ reference_rows('vendors') }} as vendors
),

final as (
    select
        {{ clean_text('vendor_id') }} as vendor_id,
        {{ clean_text('name') }} as vendor_name,
        {{ split_list('identifiers') }} as identifiers
    from source_rows
    where {{ clean_text('vendor_id') }} is not null
)

select * from final
