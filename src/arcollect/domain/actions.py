"""The one vocabulary of collection actions and channels.

Every part of arcollect that names what a collector does takes its words from here: the rule
language's grammar (a test holds it to this module), the parser, formatter and checker, the
engine, the activity log and the plan's JSON output. The enums are `enum.StrEnum`, so a member
is equal to its word and serializes as it (``ActionKind.HOLD_SHIPMENTS == "hold_shipments"``).

>>> ActionKind("hold_shipments").words
'hold shipments'
>>> ActionKind.EMAIL.is_contact, ActionKind.REFER_AGENCY.is_contact
(True, False)
>>> ActionKind.REFER_AGENCY.logged_channel
<Channel.REFER_AGENCY: 'refer_agency'>
>>> PlanChannel.INTERNAL, ActionKind.HOLD_SHIPMENTS.logged_channel
(<PlanChannel.INTERNAL: 'internal'>, <Channel.HOLD_SHIPMENTS: 'hold_shipments'>)
>>> sorted(RULE_CHANNELS)
['call', 'email', 'letter', 'sms', 'visit', 'voicemail']
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "CHANNEL_RULED",
    "CONTACT_CHANNELS",
    "RULE_ACTIONS",
    "RULE_CHANNELS",
    "ActionKind",
    "Channel",
    "PlanChannel",
]


class Channel(enum.StrEnum):
    """How a logged activity was done: a contact with the customer, or a collection action.

    An action of the collections team itself is logged as what it did (``hold_shipments``,
    ``review``); ``note`` records anything else worth keeping.
    """

    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    CALL = "call"
    VOICEMAIL = "voicemail"
    VISIT = "visit"
    HOLD_SHIPMENTS = "hold_shipments"
    RELEASE_HOLD = "release_hold"
    REFER_AGENCY = "refer_agency"
    REFER_ATTORNEY = "refer_attorney"
    REVIEW = "review"
    NOTE = "note"

    @property
    def is_contact(self) -> bool:
        """Whether this channel reaches the customer (and so counts toward ``min gap``)."""
        return self in CONTACT_CHANNELS


#: The channels that reach the customer; a ``channel`` section chooses among these.
CONTACT_CHANNELS: Final = frozenset(
    {Channel.EMAIL, Channel.LETTER, Channel.SMS, Channel.CALL, Channel.VOICEMAIL, Channel.VISIT}
)
#: The channels a ``channel`` rule of a policy may name, as words.
RULE_CHANNELS: Final = frozenset(str(c) for c in CONTACT_CHANNELS)


class PlanChannel(enum.StrEnum):
    """How a planned action is carried out: a contact channel, or `INTERNAL`.

    `INTERNAL` is the team's own task (a credit hold, a referral, a review), which reaches no
    customer; once done it is logged as the action itself (see `ActionKind.logged_channel`).
    """

    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    CALL = "call"
    VOICEMAIL = "voicemail"
    VISIT = "visit"
    INTERNAL = "internal"


class ActionKind(enum.StrEnum):
    """What a planned action does.

    All but `FOLLOW_UP` can be written as a step's action in a rule file (`words` gives the
    rule text); `FOLLOW_UP` is the engine's own action on a promise's deadline.
    """

    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    CALL = "call"
    VOICEMAIL = "voicemail"
    VISIT = "visit"
    REVIEW = "review"
    HOLD_SHIPMENTS = "hold_shipments"
    RELEASE_HOLD = "release_hold"
    REFER_AGENCY = "refer_agency"
    REFER_ATTORNEY = "refer_attorney"
    FOLLOW_UP = "follow_up"

    @property
    def words(self) -> str:
        """The action as a rule file writes it: ``hold shipments`` for `HOLD_SHIPMENTS`."""
        return self.value.replace("_", " ")

    @property
    def is_contact(self) -> bool:
        """Whether the action reaches the customer (it has a contact and a contact channel)."""
        return self in _CONTACT_KINDS

    @property
    def takes_template(self) -> bool:
        """Whether the action may name a template (``email "friendly_reminder"``)."""
        return self.is_contact or self is ActionKind.REVIEW

    @property
    def channel_ruled(self) -> bool:
        """Whether the policy's ``channel`` rules choose this action's channel.

        A written reminder (email, sms) becomes a call where a call pays; steps written as a
        call, a letter, a voicemail or a visit keep their channel.
        """
        return self in (ActionKind.EMAIL, ActionKind.SMS)

    @property
    def logged_channel(self) -> Channel:
        """The channel of the activity that records this action done (a follow-up is a call)."""
        if self is ActionKind.FOLLOW_UP:
            return Channel.CALL
        return Channel(self.value)


#: The actions a step of a rule file may take.
RULE_ACTIONS: Final = tuple(a for a in ActionKind if a is not ActionKind.FOLLOW_UP)

_CONTACT_KINDS: Final = frozenset(a for a in ActionKind if a.value in RULE_CHANNELS)
#: The actions whose channel the policy's channel rules choose.
CHANNEL_RULED: Final = frozenset(a for a in ActionKind if a.channel_ruled)
