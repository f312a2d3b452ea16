"""The error catalogue: bad policies and the complete messages they must produce.

Each message was read and judged when it was frozen here: location, caret under the offending
text, what was expected and found, and the suggestion. A change to any of them must be a
deliberate change to this file.
"""

from __future__ import annotations

import pytest

from arcollect.domain.records import KNOWN_ROLES
from arcollect.errors import PolicyError
from arcollect.policy import parse_policy


def policy(snippet: str) -> str:
    """Wrap *snippet* in a policy header; lines starting with @ go into the header."""
    head = ['policy "t"']
    lines = []
    for line in snippet.split("\n"):
        if line.startswith("@"):
            head.append("  " + line[1:])
        else:
            lines.append(line)
    if not any(h.strip().startswith("currency") for h in head[1:]):
        head.append("  currency EUR")
    return "\n".join(head + lines) + "\n"


CATALOGUE = {
    "unknown_role_suggests_a_declared_one": (
        "@roles buchhaltung\ntimeline t for all\n  step a 1 day past due call to buchaltung",
        "t.arc:5:33: error: unknown contact role `buchaltung`\n  5 |   step a 1 day past due call to buchaltung\n    |                                 ^^^^^^^^^^\n  hint: did you mean `buchhaltung`? roles: accounts_payable, billing, buchhaltung, decision_maker, executive, owner, sales_rep",
    ),
    "undeclared_role_in_has": (
        "let a = has einkauf",
        "t.arc:3:13: error: unknown contact role `einkauf`\n  3 | let a = has einkauf\n    |             ^^^^^^^\n  hint: roles: accounts_payable, billing, decision_maker, executive, owner, sales_rep",
    ),
    "undeclared_role_of_an_expect_contact": (
        'expect "e" as of 2026-01-01\n  account\n    contact "Ann" as einkauf\n  then no action',
        't.arc:5:22: error: unknown contact role `einkauf`\n  5 |     contact "Ann" as einkauf\n    |                      ^^^^^^^\n  hint: roles: accounts_payable, billing, decision_maker, executive, owner, sales_rep',
    ),
    "declared_role_not_lower_case": (
        "@roles einkauf, Buchhaltung",
        "t.arc:2:18: error: invalid role `Buchhaltung`: a role is a lower-case identifier\n  2 |   roles einkauf, Buchhaltung\n    |                  ^^^^^^^^^^^\n  hint: write `buchhaltung`",
    ),
    "declared_role_not_an_identifier": (
        "@roles _intern",
        "t.arc:2:9: error: invalid role `_intern`: a role is a lower-case identifier\n  2 |   roles _intern\n    |         ^^^^^^^\n  hint: letters, digits and `_`, starting with a lower-case letter",
    ),
    "unknown_fact_suggests": (
        "let a = overdu > 5 EUR",
        "t.arc:3:9: error: unknown fact `overdu`\n  3 | let a = overdu > 5 EUR\n    |         ^^^^^^\n  hint: did you mean `overdue`?",
    ),
    "unknown_fact_no_suggestion": (
        "let a = zzzz > 5",
        "t.arc:3:9: error: unknown fact `zzzz`\n  3 | let a = zzzz > 5\n    |         ^^^^",
    ),
    "add_two_currencies": (
        "let a = 5 EUR + 5 USD",
        "t.arc:3:9: error: cannot add EUR and USD: amounts must be in one currency\n  3 | let a = 5 EUR + 5 USD\n    |         ^^^^^^^^^^^^^",
    ),
    "compare_policy_currency": (
        "let a = overdue > 5 USD",
        "t.arc:3:9: error: cannot compare EUR and USD: amounts must be in one currency\n  3 | let a = overdue > 5 USD\n    |         ^^^^^^^^^^^^^^^",
    ),
    "unknown_currency_literal": (
        "let a = overdue > 5 EUX",
        "t.arc:3:19: error: unknown currency `EUX`: expected an ISO 4217 code such as `EUR`\n  3 | let a = overdue > 5 EUX\n    |                   ^^^^^",
    ),
    "money_plus_number": (
        "let a = overdue + 5",
        "t.arc:3:9: error: cannot add a number to money (EUR)\n  3 | let a = overdue + 5\n    |         ^^^^^^^^^^^\n  hint: write the number as money, e.g. `100 EUR`",
    ),
    "number_vs_duration": (
        "let a = days_past_due > 30 days",
        "t.arc:3:9: error: cannot compare a number with a duration\n  3 | let a = days_past_due > 30 days\n    |         ^^^^^^^^^^^^^^^^^^^^^^^\n  hint: `days_past_due` and `days_since_...` are numbers of days: compare them with a number, e.g. `days_past_due >= 45`",
    ),
    "money_vs_number": (
        "let a = overdue > 100",
        "t.arc:3:9: error: cannot compare money (EUR) with a number\n  3 | let a = overdue > 100\n    |         ^^^^^^^^^^^^^\n  hint: write the number as money, e.g. `overdue >= 100 EUR`",
    ),
    "segment_not_bool": (
        "segment big when overdue",
        "t.arc:3:18: error: segment `big` needs a condition (true or false), got money (EUR)\n  3 | segment big when overdue\n    |                  ^^^^^^^",
    ),
    "pause_not_bool": (
        "timeline t for all\n  pause while overdue\n  step s 1 day past due call",
        "t.arc:4:15: error: `pause while` needs a condition (true or false), got money (EUR)\n  4 |   pause while overdue\n    |               ^^^^^^^",
    ),
    "and_not_bool": (
        "let a = promise.active and days_past_due",
        "t.arc:3:28: error: `and` needs a condition (true or false), got a number\n  3 | let a = promise.active and days_past_due\n    |                            ^^^^^^^^^^^^^",
    ),
    "not_not_bool": (
        "let a = not overdue",
        "t.arc:3:13: error: `not` needs a condition (true or false), got money (EUR)\n  3 | let a = not overdue\n    |             ^^^^^^^",
    ),
    "let_cycle": (
        "let a = b + 1\nlet b = a + 1",
        "t.arc:4:9: error: `a` is defined in terms of itself (a -> b -> a)\n  4 | let b = a + 1\n    |         ^",
    ),
    "let_self": (
        "let a = a",
        "t.arc:3:9: error: `a` is defined in terms of itself (a -> a)\n  3 | let a = a\n    |         ^",
    ),
    "duplicate_let": (
        "let a = 1\nlet a = 2",
        "t.arc:4:5: error: let `a` is defined twice\n  4 | let a = 2\n    |     ^",
    ),
    "let_named_like_fact": (
        "let overdue = 1",
        "t.arc:3:5: error: let `overdue` has the name of a fact\n  3 | let overdue = 1\n    |     ^^^^^^^",
    ),
    "segment_named_like_let": (
        "let big = 1\nsegment big when true",
        "t.arc:4:9: error: segment `big` has the name of a let\n  4 | segment big when true\n    |         ^^^",
    ),
    "unknown_segment": (
        "segment key when true\ntimeline t for segment kye\n  step s 1 day past due call",
        "t.arc:4:24: error: unknown segment `kye`\n  4 | timeline t for segment kye\n    |                        ^^^\n  hint: did you mean `key`?",
    ),
    "duplicate_timeline": (
        "timeline t for all\n  step s 1 day past due call\ntimeline t for all\n  step s 1 day past due call",
        "t.arc:5:10: error: timeline `t` is defined twice\n  5 | timeline t for all\n    |          ^",
    ),
    "duplicate_step": (
        "timeline t for all\n  step s 1 day past due call\n  step s 2 days past due call",
        "t.arc:5:8: error: step `s` is defined twice in timeline `t`\n  5 |   step s 2 days past due call\n    |        ^",
    ),
    "steps_out_of_order": (
        "timeline t for all\n  step late 30 days past due call\n  step early 10 days past due call",
        "t.arc:5:14: error: step `early` (10 days past due) comes before step `late` (30 days past due): steps must be in day order\n  5 |   step early 10 days past due call\n    |              ^^^^^^^^^^^^^^^^",
    ),
    "resume_unknown_step": (
        "timeline t for all\n  on promise.broken resume at first_cal\n  step first_call 10 days past due call",
        "t.arc:4:31: error: cannot resume at `first_cal`: timeline `t` has no such step\n  4 |   on promise.broken resume at first_cal\n    |                               ^^^^^^^^^\n  hint: did you mean `first_call`?",
    ),
    "unknown_event": (
        "timeline t for all\n  on promise.kept resume at s\n  step s 1 day past due call",
        "t.arc:4:6: error: unknown event `promise.kept`\n  4 |   on promise.kept resume at s\n    |      ^^^^^^^^^^^^\n  hint: did you mean `promise.broken`? events: promise.broken",
    ),
    "unknown_role": (
        "timeline t for all\n  step s 1 day past due call to decison_maker",
        "t.arc:4:33: error: unknown contact role `decison_maker`\n  4 |   step s 1 day past due call to decison_maker\n    |                                 ^^^^^^^^^^^^^\n  hint: did you mean `decision_maker`? roles: accounts_payable, billing, decision_maker, executive, owner, sales_rep",
    ),
    "tiers_not_100": (
        "priority\n  tiers by share of overdue: A 80%, B 15%",
        "t.arc:4:3: error: tier shares add up to 95%, not 100%\n  4 |   tiers by share of overdue: A 80%, B 15%\n    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    ),
    "capacity_zero": (
        "priority\n  capacity 0 calls per day",
        "t.arc:4:3: error: a capacity of 0 calls per day would never call anyone\n  4 |   capacity 0 calls per day\n    |   ^^^^^^^^^^^^^^^^^^^^^^^^\n  hint: leave `capacity` out for no limit",
    ),
    "score_is_money": (
        "priority\n  score overdue * 2",
        "t.arc:4:9: error: the score must be a number, got money (EUR)\n  4 |   score overdue * 2\n    |         ^^^^^^^^^^^\n  hint: divide money by money to get a number, e.g. `overdue / 1,000 EUR`",
    ),
    "tiers_unknown_measure": (
        "priority\n  tiers by share of overdu: A 100%",
        "t.arc:4:21: error: tiers are shares of an amount such as `overdue`, not `overdu`\n  4 |   tiers by share of overdu: A 100%\n    |                     ^^^^^^\n  hint: did you mean `overdue`?",
    ),
    "duplicate_tier": (
        "priority\n  tiers by share of overdue: A 50%, A 50%",
        "t.arc:4:37: error: tier `A` is defined twice\n  4 |   tiers by share of overdue: A 50%, A 50%\n    |                                     ^",
    ),
    "enum_word_unknown": (
        "let a = last_contact.outcome == iratee",
        "t.arc:3:33: error: `iratee` is not a contact outcome\n  3 | let a = last_contact.outcome == iratee\n    |                                 ^^^^^^\n  hint: did you mean `irate`? one of: sent, reached, no_answer, voicemail, promise, dispute, paid, irate, wrong_contact, refused, bounced, done",
    ),
    "enum_string_unknown": (
        'let a = dispute.reason == "pricing"',
        't.arc:3:27: error: "pricing" is not a dispute reason\n  3 | let a = dispute.reason == "pricing"\n    |                           ^^^^^^^^^\n  hint: did you mean `pricing_error`? one of: pricing_error, wrong_quantity, missing_po, not_delivered, damaged, duplicate_billing, billing_error, wrong_product, quality, service, other, unspecified',
    ),
    "invoices_bare": (
        "let a = invoices",
        "t.arc:3:9: error: `invoices` is a list: use it in an aggregate\n  3 | let a = invoices\n    |         ^^^^^^^^\n  hint: for example `count(invoices where days_past_due > 60)` or `sum(invoices.open where disputed)`",
    ),
    "invoice_field_outside_aggregate": (
        "let a = invoices.open > 5 EUR",
        "t.arc:3:9: error: `invoices.open` is one value per invoice: use it in an aggregate\n  3 | let a = invoices.open > 5 EUR\n    |         ^^^^^^^^^^^^^\n  hint: for example `sum(invoices.open)` or `max(invoices.open)`",
    ),
    "aggregate_unknown_field": (
        "let a = sum(invoices.opn)",
        "t.arc:3:9: error: invoices have no field `opn`\n  3 | let a = sum(invoices.opn)\n    |         ^^^^^^^^^^^^^^^^^\n  hint: did you mean `open`?",
    ),
    "count_with_field": (
        "let a = count(invoices.open)",
        "t.arc:3:9: error: `count` counts invoices: write `count(invoices where ...)`\n  3 | let a = count(invoices.open)\n    |         ^^^^^^^^^^^^^^^^^^^^",
    ),
    "sum_of_dates": (
        "let a = sum(invoices.due)",
        "t.arc:3:9: error: `sum` adds numbers, money or durations, not a date\n  3 | let a = sum(invoices.due)\n    |         ^^^^^^^^^^^^^^^^^",
    ),
    "nested_aggregate": (
        "let a = count(invoices where count(invoices) > 1)",
        "t.arc:3:30: error: aggregates cannot be nested\n  3 | let a = count(invoices where count(invoices) > 1)\n    |                              ^^^^^^^^^^^^^^^",
    ),
    "conditional_branches_differ": (
        "let a = (1 if promise.active else 2 EUR)",
        "t.arc:3:9: error: both branches must have one type: a number if ... else money (EUR)\n  3 | let a = (1 if promise.active else 2 EUR)\n    |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    ),
    "contains_on_string": (
        'let a = account.id contains "x"',
        't.arc:3:9: error: `contains` looks for a string in a set of strings, not for a string in a string\n  3 | let a = account.id contains "x"\n    |         ^^^^^^^^^^^^^^^^^^^^^^^',
    ),
    "in_with_numbers": (
        "let a = account.country in [1, 2]",
        "t.arc:3:29: error: cannot look for a string in a list holding a number\n  3 | let a = account.country in [1, 2]\n    |                             ^",
    ),
    "between_mixed": (
        "let a = overdue between 1 and 2",
        "t.arc:3:9: error: cannot compare money (EUR) with a number\n  3 | let a = overdue between 1 and 2\n    |         ^^^^^^^^^^^^^^^^^^^^^^^",
    ),
    "round_fractional_places": (
        "let a = round(1.5, 1.5)",
        "t.arc:3:20: error: `round` takes a whole number of decimals\n  3 | let a = round(1.5, 1.5)\n    |                    ^^^",
    ),
    "abs_of_date": (
        "let a = abs(today)",
        "t.arc:3:9: error: `abs` cannot take a date\n  3 | let a = abs(today)\n    |         ^^^^^^^^^^",
    ),
    "days_of_number": (
        "let a = days(5)",
        "t.arc:3:9: error: `days` cannot take a number\n  3 | let a = days(5)\n    |         ^^^^^^^",
    ),
    "negate_date": (
        "let a = -today",
        "t.arc:3:9: error: cannot negate a date\n  3 | let a = -today\n    |         ^^^^^^",
    ),
    "header_unknown_currency": (
        "@currency EUX",
        "t.arc:2:12: error: unknown currency `EUX`: expected an ISO 4217 code such as `EUR`\n  2 |   currency EUX\n    |            ^^^",
    ),
    "header_unknown_locale": (
        "@locale xx_YY",
        "t.arc:2:10: error: unknown locale `xx_YY`: expected a code such as `en_US`\n  2 |   locale xx_YY\n    |          ^^^^^",
    ),
    "order_booleans": (
        "let a = promise.active < true",
        "t.arc:3:9: error: cannot order a condition (true or false): only `==` and `!=` compare them\n  3 | let a = promise.active < true\n    |         ^^^^^^^^^^^^^^^^^^^^^",
    ),
    "money_times_money": (
        "let a = overdue * overdue",
        "t.arc:3:9: error: cannot multiply money (EUR) by money (EUR)\n  3 | let a = overdue * overdue\n    |         ^^^^^^^^^^^^^^^^^",
    ),
    "number_over_money": (
        "let a = 5 / overdue",
        "t.arc:3:9: error: cannot divide a number by money (EUR)\n  3 | let a = 5 / overdue\n    |         ^^^^^^^^^^^",
    ),
    "date_plus_date": (
        "let a = today + today",
        "t.arc:3:9: error: cannot add a date to a date\n  3 | let a = today + today\n    |         ^^^^^^^^^^^^^",
    ),
    "ties_by_bool": (
        "priority\n  ties by promise.active",
        "t.arc:4:11: error: cannot order accounts by a condition (true or false)\n  4 |   ties by promise.active\n    |           ^^^^^^^^^^^^^^",
    ),
    "expect_unknown_names": (
        'timeline t for all\n  step s 1 day past due call\nexpect "x" as of 2026-11-23\n  account\n    invoice 1 EUR due 2026-10-01\n    done s, z\n  then step q, tier A',
        "t.arc:8:13: error: unknown step `z`\n  8 |     done s, z\n    |             ^\n\nt.arc:9:13: error: unknown step `q`\n  9 |   then step q, tier A\n    |             ^\n\nt.arc:9:21: error: unknown tier `A`\n  9 |   then step q, tier A\n    |                     ^",
    ),
    "many_errors_all_reported": (
        "let a = overdu > 1\nlet b = 1 EUR + 1 USD\nsegment s when 5",
        "t.arc:3:9: error: unknown fact `overdu`\n  3 | let a = overdu > 1\n    |         ^^^^^^\n  hint: did you mean `overdue`?\n\nt.arc:4:9: error: cannot add EUR and USD: amounts must be in one currency\n  4 | let b = 1 EUR + 1 USD\n    |         ^^^^^^^^^^^^^\n\nt.arc:5:16: error: segment `s` needs a condition (true or false), got a number\n  5 | segment s when 5\n    |                ^",
    ),
    "expect_attribute_types": (
        'timeline t for all\n  step s 1 day past due call\nexpect "x" as of 2026-11-23\n  account risk "high" terms 5\n    invoice 1 EUR due 2026-10-01\n  then step s',
        't.arc:6:16: error: `risk` takes a number\n  6 |   account risk "high" terms 5\n    |                ^^^^^^\n\nt.arc:6:29: error: `terms` takes a duration such as `30 days`\n  6 |   account risk "high" terms 5\n    |                             ^',
    ),
    "expect_unknown_reason_and_outcome": (
        'timeline t for all\n  step s 1 day past due call\nexpect "x" as of 2026-11-23\n  account\n    dispute 1 EUR opened 2026-10-02 reason pricng\n    last contact 2026-11-01 call iratee\n  then step s',
        "t.arc:7:44: error: `pricng` is not a dispute reason\n  7 |     dispute 1 EUR opened 2026-10-02 reason pricng\n    |                                            ^^^^^^\n  hint: did you mean `pricing_error`? one of: pricing_error, wrong_quantity, missing_po, not_delivered, damaged, duplicate_billing, billing_error, wrong_product, quality, service, other, unspecified\n\nt.arc:8:34: error: `iratee` is not a contact outcome\n  8 |     last contact 2026-11-01 call iratee\n    |                                  ^^^^^^\n  hint: did you mean `irate`? one of: sent, reached, no_answer, voicemail, promise, dispute, paid, irate, wrong_contact, refused, bounced, done",
    ),
    "constant_duration_too_long": (
        "let a = 30 days * 999999999999",
        "t.arc:3:9: error: this duration is 29,999,999,999,970 days: durations are at most 36,525 days (100 years) either way\n  3 | let a = 30 days * 999999999999\n    |         ^^^^^^^^^^^^^^^^^^^^^^\n  hint: check the numbers: no step, gap or deadline needs more than 100 years",
    ),
    "constant_date_before_year_one": (
        "let a = 0001-01-01 - 1 day",
        "t.arc:3:9: error: this date is out of range: dates run from 0001-01-01 to 9999-12-31\n  3 | let a = 0001-01-01 - 1 day\n    |         ^^^^^^^^^^^^^^^^^^\n  hint: check the date and the duration added to it",
    ),
    "constant_date_after_9999": (
        "let a = today < 9999-12-31 + 1 day",
        "t.arc:3:17: error: this date is out of range: dates run from 0001-01-01 to 9999-12-31\n  3 | let a = today < 9999-12-31 + 1 day\n    |                 ^^^^^^^^^^^^^^^^^^\n  hint: check the date and the duration added to it",
    ),
    "round_places_out_of_range": (
        "let a = round(overdue, 99999999)",
        "t.arc:3:24: error: `round` takes 0 to 28 decimals, got 99999999\n  3 | let a = round(overdue, 99999999)\n    |                        ^^^^^^^^\n  hint: for money, `round(x)` rounds to whole units and `round(x, 2)` to cents",
    ),
    "constant_division_by_zero": (
        "let a = overdue / (2 - 2)",
        "t.arc:3:9: error: division by zero: the divisor is always 0\n  3 | let a = overdue / (2 - 2)\n    |         ^^^^^^^^^^^^^^^^^",
    ),
}

YAML_CATALOGUE = {
    "yaml_roles_empty": (
        "policy: t\nroles: []\n",
        "t.yaml:2:8: error: `roles` lists no role\n  2 | roles: []\n    |        ^^\n  hint: write `roles: [NAME, ...]` or drop it",
    ),
    "yaml_roles_not_a_list": (
        "policy: t\nroles: {einkauf: 1}\n",
        "t.yaml:2:8: error: expected `roles` as a list, got a mapping\n  2 | roles: {einkauf: 1}\n    |        ^^^^^^^^^^^^",
    ),
    "yaml_role_not_lower_case": (
        "policy: t\nroles: [einkauf, Buchhaltung]\n",
        "t.yaml:2:18: error: invalid role `Buchhaltung`: a role is a lower-case identifier\n  2 | roles: [einkauf, Buchhaltung]\n    |                  ^^^^^^^^^^^\n  hint: write `buchhaltung`",
    ),
    "yaml_role_smuggling_a_clause": (
        'policy: t\nroles: ["einkauf let x = 1"]\n',
        't.yaml:2:9: error: expected a role, got `einkauf let x = 1`\n  2 | roles: ["einkauf let x = 1"]\n    |         ^^^^^^^^^^^^^^^^^^^\n  hint: a value holds exactly what its key says: write each clause under its own key',
    ),
    "yaml_expression_error_points_into_yaml": (
        "policy: t\ncurrency: EUR\nlet:\n  small: overdu < 250 EUR\n",
        "t.yaml:4:10: error: unknown fact `overdu`\n  4 |   small: overdu < 250 EUR\n    |          ^^^^^^\n  hint: did you mean `overdue`?",
    ),
    "yaml_quoted_expression": (
        'policy: t\ncurrency: EUR\nlet:\n  small: "overdue < 250 USD"\n',
        't.yaml:4:11: error: cannot compare EUR and USD: amounts must be in one currency\n  4 |   small: "overdue < 250 USD"\n    |           ^^^^^^^^^^^^^^^^^',
    ),
    "yaml_unknown_key": (
        "policy: t\ncurrencyy: EUR\n",
        "t.yaml:2:1: error: unknown key `currencyy` in the policy\n  2 | currencyy: EUR\n    | ^^^^^^^^^\n  hint: did you mean `currency`?",
    ),
    "yaml_missing_policy": (
        "currency: EUR\n",
        "t.yaml:1:1: error: missing key `policy` (the policy's name)\n  1 | currency: EUR\n    | ^",
    ),
    "yaml_step_missing_do": (
        "policy: t\ntimelines:\n  - name: s\n    steps:\n      - {name: a, at: 1 day past due}\n",
        "t.yaml:5:9: error: a step needs `do`\n  5 |       - {name: a, at: 1 day past due}\n    |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    ),
    "yaml_steps_not_a_list": (
        "policy: t\ntimelines:\n  - name: s\n    steps: {name: a}\n",
        "t.yaml:4:12: error: expected `steps` as a list, got a mapping\n  4 |     steps: {name: a}\n    |            ^^^^^^^^^",
    ),
    "yaml_duplicate_key": (
        "policy: t\nlet:\n  a: 1\n  a: 2\n",
        "t.yaml:4:3: error: duplicate key `a`\n  4 |   a: 2\n    |   ^",
    ),
    "yaml_syntax_error": (
        "policy: t\nlet: [\n",
        "t.yaml:3:1: error: invalid YAML: expected the node content, but found '<stream end>'\n  3 |\n    | ^",
    ),
    "yaml_python_tag": (
        'policy: !!python/object/apply:os.system ["true"]\n',
        't.yaml:1:9: error: YAML tags are not allowed here: `tag:yaml.org,2002:python/object/apply:os.system`\n  1 | policy: !!python/object/apply:os.system ["true"]\n    |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
    ),
    "yaml_alias_bomb": (
        "a: &a [x, x]\nb0: &b0 [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nb1: &b1 [*b0, *b0, *b0, *b0, *b0, *b0, *b0, *b0, *b0, *b0]\nb2: &b2 [*b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1]\nb3: &b3 [*b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2]\nb4: &b4 [*b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3]\nb5: &b5 [*b4, *b4, *b4, *b4, *b4, *b4, *b4, *b4, *b4, *b4]\nb6: &b6 [*b5, *b5, *b5, *b5, *b5, *b5, *b5, *b5, *b5, *b5]\nb7: &b7 [*b6, *b6, *b6, *b6, *b6, *b6, *b6, *b6, *b6, *b6]\nb8: &b8 [*b7, *b7, *b7, *b7, *b7, *b7, *b7, *b7, *b7, *b7]\nb9: &b9 [*b8, *b8, *b8, *b8, *b8, *b8, *b8, *b8, *b8, *b8]\nb10: &b10 [*b9, *b9, *b9, *b9, *b9, *b9, *b9, *b9, *b9, *b9]\n",
        "t.yaml:2:10: error: invalid YAML: aliases (`*name`) are not allowed in rule files: write the value out\n  2 | b0: &b0 [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n    |          ^",
    ),
    "yaml_syntax_inside_step": (
        "policy: t\ntimelines:\n  - name: s\n    steps:\n      - {name: a, at: 1 day past due, do: hold shipmentz}\n",
        "t.yaml:5:48: error: expected `shipments`, found `shipmentz`\n  5 |       - {name: a, at: 1 day past due, do: hold shipmentz}\n    |                                                ^^^^^^^^^\n  hint: did you mean `shipments`?",
    ),
    "yaml_smuggled_clause": (
        'policy: t\nlet:\n  a: "1\\nlet b = 2"\n',
        't.yaml:3:6: error: this value holds more than one expression\n  3 |   a: "1\\nlet b = 2"\n    |      ^^^^^^^^^^^^^^\n  hint: a value holds exactly what its key says: write each clause under its own key',
    ),
    "yaml_empty": (
        "",
        "t.yaml:1:1: error: the file is empty: expected a policy\n  1 |\n    | ^",
    ),
    "yaml_tiers_share_of_unknown": (
        "policy: t\ncurrency: EUR\npriority:\n  tiers: {A: 100%}\n  share_of: balanse\n",
        "t.yaml:4:3: error: tiers are shares of an amount such as `overdue`, not `balanse`\n  4 |   tiers: {A: 100%}\n    |   ^^^^^^^^^^^^^^^\n  hint: did you mean `balance`?",
    ),
}


@pytest.mark.parametrize(("snippet", "expected"), CATALOGUE.values(), ids=list(CATALOGUE))
def test_rule_file_errors(snippet: str, expected: str) -> None:
    """A bad policy gets exactly its catalogued message, caret and hint included."""
    with pytest.raises(PolicyError) as exc:
        parse_policy(policy(snippet), name="t.arc")
    assert str(exc.value) == expected


@pytest.mark.parametrize(("text", "expected"), YAML_CATALOGUE.values(), ids=list(YAML_CATALOGUE))
def test_yaml_rule_file_errors(text: str, expected: str) -> None:
    """A bad YAML rule file gets exactly its catalogued message, located in the YAML text."""
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, name="t.yaml")
    assert str(exc.value) == expected


def test_catalogue_size() -> None:
    """The catalogue covers at least 40 bad rule files of the checker and the YAML reader."""
    assert len(CATALOGUE) + len(YAML_CATALOGUE) >= 40


def test_errors_render_once() -> None:
    """Every diagnostic's location line appears exactly once in the message."""
    for snippet, expected in CATALOGUE.values():
        with pytest.raises(PolicyError) as exc:
            parse_policy(policy(snippet), name="t.arc")
        for d in exc.value.diagnostics:
            assert d.span is not None
            head = f"t.arc:{d.span.line}:{d.span.column}: {d.severity}: {d.message}"
            assert expected.count(head) == 1


SUGGESTIONS = {
    # name: (text, file name, the one hint expected)
    "checker_fact": ("let a = overdu > 5 EUR", "t.arc", "did you mean `overdue`?"),
    "checker_role_with_list": (
        "timeline t for all\n  step s 1 day past due call to decison_maker",
        "t.arc",
        (
            "did you mean `decision_maker`? roles: accounts_payable, billing, decision_maker, "
            "executive, owner, sales_rep"
        ),
    ),
    "parser_keyword": (
        "timeline t for all\n  paus while promise.active",
        "t.arc",
        "did you mean `pause`?",
    ),
    "parser_keyword_at_the_shared_cutoff": (
        "timeline t for all\n  stxxp s 1 day past due call",
        "t.arc",
        "did you mean `step`?",
    ),
    "yaml_key": ("policy: t\ncurrencyy: EUR\n", "t.yaml", "did you mean `currency`?"),
}


class TestSuggestions:
    """A "did you mean" is made by `arcollect._suggest` and always lives in the hint."""

    @pytest.mark.parametrize(
        ("snippet", "name", "hint"), SUGGESTIONS.values(), ids=list(SUGGESTIONS)
    )
    def test_suggestion_is_the_hint_not_the_message(
        self, snippet: str, name: str, hint: str
    ) -> None:
        """The parser, the checker and the YAML reader put the suggestion in the hint only."""
        text = snippet if name.endswith(".yaml") else policy(snippet)
        with pytest.raises(PolicyError) as exc:
            parse_policy(text, name=name)
        [diagnostic] = exc.value.diagnostics
        assert "did you mean" not in diagnostic.message
        assert diagnostic.hint == hint

    def test_no_close_word_no_suggestion(self) -> None:
        """A word close to nothing gets no hint at all (an unknown fact has no list to offer)."""
        with pytest.raises(PolicyError) as exc:
            parse_policy(policy("let a = zzzz > 5"), name="t.arc")
        [diagnostic] = exc.value.diagnostics
        assert (diagnostic.message, diagnostic.hint) == ("unknown fact `zzzz`", None)


class TestConstantBounds:
    """Durations and dates computed from constants are checked; within bounds they pass."""

    @pytest.mark.parametrize(
        "snippet",
        [
            "let a = today + 36525 days > today",
            "let a = 2 weeks * 3 > 1 day",
            "let a = 9999-12-30 + 1 day > today",
            "let a = 0001-01-02 - 1 day < today",
            "let a = round(overdue, 28) > overdue",
        ],
    )
    def test_in_range_constants_check(self, snippet: str) -> None:
        """A constant duration of 100 years, or a date at the edge of the calendar, is fine."""
        parse_policy(policy(snippet), name="t.arc")

    def test_data_is_not_folded(self) -> None:
        """A duration that reads data is left to the evaluator, whatever it is multiplied by."""
        parse_policy(
            policy("let a = (today - account.customer_since) * 1,000 > 1 day"), name="t.arc"
        )


class TestDeclaredRoles:
    """A `roles` header line adds the policy's own roles to the built-in ones."""

    def test_declared_roles_are_known(self) -> None:
        """Declared roles serve `to`, `with`, `has` and expect contacts, and are in `roles`."""
        source = policy(
            "@roles buchhaltung, einkauf\n"
            "let a = has einkauf\n"
            "timeline t for all\n"
            "  step s 1 day past due call to buchhaltung with einkauf\n"
            'expect "e" as of 2026-01-01\n  account\n    contact "Ann" as einkauf\n'
            "  then no action"
        )
        checked = parse_policy(source, name="t.arc").checked
        assert checked.roles == KNOWN_ROLES | {"buchhaltung", "einkauf"}
        assert checked.warnings == ()

    def test_no_roles_line(self) -> None:
        """Without a `roles` line a policy knows the built-in roles only."""
        assert parse_policy(policy(""), name="t.arc").checked.roles == KNOWN_ROLES

    def test_redeclared_and_repeated_roles_are_warnings(self) -> None:
        """Declaring a built-in role, or one role twice, is a located warning, not an error."""
        checked = parse_policy(policy("@roles billing, einkauf, einkauf"), name="t.arc").checked
        assert [w.render(checked.source) for w in checked.warnings] == [
            (
                "t.arc:2:9: warning: `billing` is a built-in role: declaring it again changes "
                "nothing\n"
                "  2 |   roles billing, einkauf, einkauf\n"
                "    |         ^^^^^^^"
            ),
            (
                "t.arc:2:27: warning: role `einkauf` is declared twice\n"
                "  2 |   roles billing, einkauf, einkauf\n"
                "    |                           ^^^^^^^"
            ),
        ]
        assert checked.roles == KNOWN_ROLES | {"einkauf"}

    def test_yaml_warning_is_located_in_the_yaml(self) -> None:
        """In a YAML rule file the warning points at the role in the list, whatever the key order."""
        checked = parse_policy("roles: [owner]\npolicy: t\n", name="t.yaml").checked
        assert [w.render(checked.source) for w in checked.warnings] == [
            (
                "t.yaml:1:9: warning: `owner` is a built-in role: declaring it again changes "
                "nothing\n"
                "  1 | roles: [owner]\n"
                "    |         ^^^^^"
            )
        ]


class TestSegmentCycles:
    def test_a_segment_defined_in_terms_of_itself_is_refused(self) -> None:
        """``segment key when key`` and a loop through a let are located errors, not a RecursionError.

        Found by the fuzz suite (a mutated rules/standard.yaml with ``key: key``).
        """
        for text, cycle in (
            ('policy "P" version 1\nsegment key when key\n', "key -> key"),
            (
                'policy "P" version 1\nsegment a when b or true\nlet x = a\nsegment b when x\n',
                "a -> b -> a",
            ),
        ):
            with pytest.raises(PolicyError) as info:
                parse_policy(text, name="p.arc")
            first = str(info.value).splitlines()[0]
            assert (
                first
                == f"p.arc:2:1: error: segment `{cycle.split()[0]}` is defined in terms of itself ({cycle})"
            )

    def test_segments_may_use_other_segments(self) -> None:
        """A chain of segments without a loop checks."""
        policy = parse_policy(
            'policy "P" version 1\nsegment a when true\nsegment b when a\nsegment c when a and b\n',
            name="p.arc",
        )
        assert sorted(policy.checked.segments) == ["a", "b", "c"]


class TestDeadline:
    def test_a_deadline_out_of_range_is_located(self) -> None:
        """A payment deadline of 0 or over 365 business days is an error at its line."""
        with pytest.raises(PolicyError) as info:
            parse_policy('policy "P" version 1\n  deadline 400 business days\n', name="p.arc")
        assert str(info.value).splitlines()[0] == (
            "p.arc:2:3: error: a payment deadline of 400 business days is out of range"
        )
