{#- The training vendors of the reference data (vendors.csv) with how many contracts each has
    (int_vendor_contracts): the vendor list the billing marts name vendors from. A vendor with no
    contract is kept (its invoices are flagged no_contract, and still need a name). -#}
with

vendors as (
    select * from {{ ref('stg_reference__vendors') }}
),

contracts as (
    select * from {{ ref('int_vendor_contracts') }}
),

contract_counts as (
    select
        vendor_id,
        count(*) as contract_count
    from contracts
    group by vendor_id
),

final as (
    select
        vendors.vendor_id,
        vendors.vendor_name,
        vendors.identifiers,
        {{ dbt.cast('coalesce(contract_counts.contract_count, 0)', dbt.type_bigint()) }} as contract_count
    from vendors
    left join contract_counts
        on vendors.vendor_id = contract_counts.vendor_id
)

select * from final
