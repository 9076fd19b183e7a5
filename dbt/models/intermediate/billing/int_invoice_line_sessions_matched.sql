{#- The sessions an invoice line bills for: its own session (item_ref = session_id), or the
    sessions of its course (item_ref = course_ref) by the line's vendor (or with no vendor) whose
    business date falls in the line's service period. -#}
with

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

sessions as (
    select * from {{ ref('stg_lms__sessions') }}
),

session_lines as (
    select
        document_line_id,
        session_id
    from lines
    where item_kind = 'session'
),

course_lines as (
    select
        lines.document_line_id,
        sessions.session_id
    from lines
    inner join sessions
        on lines.item_ref = sessions.course_ref
        and sessions.session_date >= lines.service_start
        and sessions.session_date <= lines.service_end
        and (sessions.vendor_id is null or sessions.vendor_id = lines.vendor_id)
    where lines.item_kind = 'course'
),

final as (
    select document_line_id, session_id from session_lines
    union all
    select document_line_id, session_id from course_lines
)

select * from final
