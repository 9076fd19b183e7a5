{#- Which served learner each invoice line is expected to bill (docs/semantics.md "learners served, per
    line"). A learner is served on a session when their booking is `attended`, or `no_show`
    under a contract that bills no-shows; known to HR or not, terminated or not.

    Within one document, each served learner of each session is expected on exactly one line:
    - a line that names learners (learner_refs) is expected for the named learners who were
      served on its session(s);
    - a line that names none is expected for its sessions' served learners that no other line of
      the same document names (the rest of the roster);
    - when several lines of the document could take the learner (named twice, or several unnamed
      lines), the first line (line_id order, numeric-aware) takes them and the others do not:
      billing one attendance twice in a document is over_quantity, not double expectation.
    Documents are independent (a duplicate copy is handled by duplicate_invoice; a credit note is
    expected nothing whatever it names). -#}
with

lines as (
    select * from {{ ref('int_invoice_lines_contracted') }}
),

line_sessions as (
    select * from {{ ref('int_invoice_line_sessions_matched') }}
),

bookings as (
    select * from {{ ref('int_bookings_resolved') }}
),

billed_learners as (
    select * from {{ ref('int_invoice_line_learners_checked') }}
),

served_on_line_sessions as (
    select
        lines.document_id,
        lines.document_line_id,
        lines.line_id,
        lines.learner_ref_count,
        line_sessions.session_id,
        bookings.learner_identity,
        bookings.learner_ref as booking_learner_ref,
        bookings.status as booking_status
    from lines
    inner join line_sessions
        on lines.document_line_id = line_sessions.document_line_id
    inner join bookings
        on line_sessions.session_id = bookings.session_id
    where bookings.status = 'attended'
        or (bookings.status = 'no_show' and coalesce(lines.bills_no_shows, false))
),

named as (
    select distinct
        document_line_id,
        learner_identity
    from billed_learners
),

candidates as (
    select
        served.*,
        case when named.learner_identity is not null then 0 else 1 end as claim_priority
    from served_on_line_sessions as served
    left join named
        on served.document_line_id = named.document_line_id
        and served.learner_identity = named.learner_identity
    -- a line that names learners claims only those; a line naming none claims anyone served
    where named.learner_identity is not null
        or served.learner_ref_count = 0
),

allocated as (
    select
        *,
        row_number() over (
            partition by document_id, session_id, learner_identity
            order by claim_priority, {{ dbt.length('line_id') }}, line_id, document_line_id
        ) as claim_rank
    from candidates
),

final as (
    select
        document_id,
        document_line_id,
        session_id,
        learner_identity,
        booking_learner_ref,
        booking_status,
        (claim_priority = 0) as is_named_on_line
    from allocated
    where claim_rank = 1
)

select * from final
