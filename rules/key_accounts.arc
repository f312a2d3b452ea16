# A small policy for a handful of key accounts: talk first, write later.
policy "Key accounts" version 1
  currency EUR
  locale de_DE
  calendar weekdays, holidays 2026-12-25, 2026-12-26
  roles buchhaltung  # the customer's accounting department, beside the built-in roles

segment strategic when account.tags contains "strategic" or account.credit_limit >= 500,000 EUR

timeline key for all
  pause while promise.active or dispute.open
  restart when overdue == 0 EUR
  on promise.broken resume at call_cfo
  min gap 5 days between contacts
  step heads_up 7 days before due call to buchhaltung when has buchhaltung
  step call_cfo 5 days past due   call to decision_maker
  step visit    30 days past due  visit with sales_rep, at most every 90 days
  step review   45 days past due  review "account review" requires approval by credit_manager
  step hold     60 days past due  hold shipments unless account.tags contains "strategic"

priority
  score overdue / 1,000 EUR + max(invoices.days_past_due) + (25 if strategic else 0)
  capacity 10 calls per day
  ties by overdue desc, account.id

expect "after the CFO call, a visit" as of 2026-11-05
  account tags "strategic"
    invoice 80,000 EUR due 2026-10-01
    contact "Jane Roe" as decision_maker
    done heads_up, call_cfo
  then step visit, action visit

expect "a broken promise brings the CFO call back" as of 2026-11-23
  account tags "strategic"
    invoice 80,000 EUR due 2026-10-01
    contact "Jane Roe" as decision_maker
    promise 80,000 EUR due 2026-11-10 made 2026-11-02
    done heads_up, call_cfo, visit
  then step call_cfo, action call

expect "a heads-up to the accounting department before the due date" as of 2026-09-24
  account tags "strategic"
    invoice 80,000 EUR due 2026-10-01
    contact "Petra Kurz" as buchhaltung
  then step heads_up, action call
