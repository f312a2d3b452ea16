# The standard policy of rules/standard.arc in US dollars, for `arcollect demo` on the IBM
# accounts-receivable sample (whose amounts are in USD). A test keeps the two in step.
policy "Standard B2B (USD)" version 3
  currency USD
  locale en_US
  calendar weekdays, holidays 2026-12-25, 2026-12-26, 2027-01-01
  timezone "Europe/Berlin"  # optional; affects nothing but letter dates

# Named conditions and segments, reusable anywhere below.
let small_balance = overdue < 250 USD

segment key when account.tags contains "key" or account.credit_limit >= 250,000 USD
segment new when account.customer_since > today - 180 days

# An escalation timeline. Steps fire by days past due of the oldest overdue invoice
# (or "per invoice"). Each step happens at most once per delinquency episode.
timeline standard for all
  pause while promise.active  # a promise to pay suspends escalation
  pause while dispute.open and undisputed_overdue == 0 USD
  restart when overdue == 0 USD  # episode ends; next delinquency starts fresh
  on promise.broken resume at first_call  # broken promise: back into the protocol
  min gap 3 days between contacts  # never hound a customer
  step courtesy   3 days before due email "pre_due_notice" unless small_balance
  step reminder   1 day past due    email "friendly_reminder" to billing
  step first_call 10 days past due  call to decision_maker
  step follow_up  20 days past due  email "follow_up" every 7 days until 45 days past due
  step demand     45 days past due  letter "final_demand" when overdue >= 100 USD
                                    requires approval by credit_manager
  step hold       60 days past due  hold shipments
  step agency     90 days past due  refer agency when overdue >= 1,000 USD and not key
  step attorney   120 days past due refer attorney when overdue >= 25,000 USD

# Key accounts: fewer letters, more conversations.
timeline key_accounts for segment key
  pause while promise.active or dispute.open
  step courtesy 5 days before due call to decision_maker
  step visit    30 days past due  visit with sales_rep, at most every 90 days
  step escalate 45 days past due  call to executive requires approval by cfo

# Which channel: call where a call pays for itself, otherwise write.
channel
  call  when overdue >= 5,000 USD or key or last_contact.outcome == irate
  email otherwise

priority
  score overdue / 1,000 USD * 10
      + days_past_due * 2
      + promises.broken * 15
      + (50 if key else 0)
      - (100 if dispute.open else 0)
  tiers by share of overdue: A 80%, B 15%, C 5%  # the 80/20 rule
  capacity 40 calls per day  # beyond it, calls roll to the next business day
  ties by overdue desc, account.id

expect "a promise pauses escalation" as of 2026-11-23
  account
    invoice 1,200 USD due 2026-10-01
    promise 1,200 USD due 2026-11-30 made 2026-11-20
  then no action

expect "old debt goes to the agency" as of 2026-11-23
  account tags "wholesale"
    invoice 3,000 USD due 2026-08-01
    done reminder, first_call, follow_up, demand, hold
  then step agency, action refer_agency

expect "big balances come first" as of 2026-11-23
  account
    invoice 40,000 USD due 2026-10-01
  then priority > 400
