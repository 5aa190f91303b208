"""The user-facing `message` of a result, for every `Reason`: what happened and what to do.

Written for the person reading the sync status in IceCubes; `docs/results.md` is the long form.
Messages never contain tokens, emails or Salesforce error bodies.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.domain.messages import Reason

SETTINGS_PATH = "Settings > Integrations > Salesforce"

MESSAGES: Mapping[Reason, str] = {
    Reason.SYNCED: "Synced to Salesforce.",
    Reason.PARTIAL_WRITE: (
        "Synced to Salesforce, but Salesforce refused some records (see the list of errors); "
        "the others were saved. Fix the cause named there (often a validation rule or a required field) "
        "and the next update of this meeting will write them."
    ),
    Reason.AUTO_SYNC_DISABLED: (
        f"Not synced: auto-sync is off. Turn on Enable Auto-Sync in {SETTINGS_PATH} to sync new meetings."
    ),
    Reason.CRM_NOT_CONNECTED: (
        f"Not synced: Salesforce is not connected. Go to {SETTINGS_PATH} and click Connect Salesforce."
    ),
    Reason.OTHER_CRM_CONNECTED: (
        "Not synced: your organization is connected to HubSpot, and only one CRM can be connected at a time. "
        "To switch, disconnect HubSpot in Settings > Integrations > HubSpot, then click Connect Salesforce in "
        f"{SETTINGS_PATH}. Data already synced to HubSpot stays there."
    ),
    Reason.BELOW_MIN_DURATION: (
        f"Not synced: the meeting was shorter than the Minimum Duration setting ({SETTINGS_PATH}; default 5 minutes)."
    ),
    Reason.INTERNAL_ONLY: (
        "Not synced: every participant with an email is from your organization (a verified domain or an "
        "active Salesforce User), and Skip Internal-Only is on. If an external guest was expected, check that "
        "the calendar event lists attendee emails and that your verified domains are right."
    ),
    Reason.NOTHING_TO_WRITE: (
        "Not synced: there was nothing to write. Log Meetings is off and the meeting has no action items to "
        f"sync (or Sync Action Items is off). Change these in {SETTINGS_PATH}."
    ),
    Reason.STALE_REVISION: (
        "Not synced: a newer version of this meeting was already synced to Salesforce, so this older one was skipped."
    ),
    Reason.INVALID_EVENT: (
        "Not synced: the meeting data could not be read (it was malformed or incomplete). "
        "Our team has been notified; no action is needed from you."
    ),
    Reason.CONNECTION_EXPIRED: (
        f"Salesforce connection expired: go to {SETTINGS_PATH}, click Disconnect, then Connect Salesforce. "
        "Your sync settings are kept."
    ),
    Reason.API_ACCESS_UNAVAILABLE: (
        "Salesforce refused API access. API access is included in the Enterprise, Unlimited, Performance and "
        "Developer editions; Professional Edition needs the API Access add-on from Salesforce, and Essentials "
        'or Starter cannot connect. The connected Salesforce user\'s profile must also have "API Enabled". '
        "Ask your Salesforce admin, then reconnect in " + SETTINGS_PATH + "."
    ),
    Reason.INSUFFICIENT_PERMISSIONS: (
        "The connected Salesforce user lacks permission on {object}. The user needs read/write access to "
        "Contacts, Accounts, Events, Tasks and Opportunities, and read access to Users. Ask your Salesforce "
        "admin to add it to the user's profile or permission set, then the meeting will sync on its next update."
    ),
    Reason.API_LIMIT: (
        "Waiting: your Salesforce org is close to its daily API request limit, so IceCubes paused syncing to "
        "leave room for your other tools. The meeting will sync automatically when the limit resets."
    ),
    Reason.SALESFORCE_UNAVAILABLE: (
        "Waiting: Salesforce did not respond (it may be busy or under maintenance). IceCubes will retry automatically."
    ),
    Reason.SALESFORCE_ERROR: (
        "Salesforce refused the sync. The error details are listed with this result; a Salesforce admin can "
        "usually fix the cause (for example a validation rule or a required custom field)."
    ),
    Reason.INSTANCE_NOT_ALLOWED: (
        "Not synced: the Salesforce address of this connection is not a Salesforce domain, so IceCubes did "
        f"not send your credentials there. Disconnect and Connect Salesforce again in {SETTINGS_PATH}."
    ),
    Reason.RETRIES_EXHAUSTED: (
        "Not synced: Salesforce stayed unavailable (or over its API limit) for too long and IceCubes stopped "
        "retrying. The meeting will sync again when it is next updated; check Salesforce's status and your "
        "org's API usage."
    ),
    Reason.INTERNAL_ERROR: (
        "Not synced: IceCubes hit an unexpected error while syncing this meeting. Our team has been notified; "
        "the meeting will sync again when it is next updated."
    ),
}
GENERIC_MESSAGE = "Not synced: see the result's details."

OBJECT_NAMES: Mapping[str, str] = {
    "Event": "Events",
    "Task": "Tasks",
    "Note": "Notes",
    "Contact": "Contacts",
    "Lead": "Leads",
    "Account": "Accounts",
    "Opportunity": "Opportunities",
    "OpportunityContactRole": "Opportunity Contact Roles",
    "EventRelation": "Event attendees (EventRelation)",
    "User": "Users",
}


def reason_message(reason: Reason, *, sobject: str | None = None) -> str:
    """The message a user reads for this reason; `sobject` names the object a permission is missing on."""
    text = MESSAGES.get(reason, GENERIC_MESSAGE)
    if reason is Reason.INSUFFICIENT_PERMISSIONS:
        name = OBJECT_NAMES.get(sobject, sobject) if sobject else "a Salesforce object IceCubes uses"
        text = text.format(object=name)
    return text


def message_for(reason: Reason, detail: str = "", *, sobject: str | None = None) -> str:
    """The user-facing message, followed by `detail` (what the failure itself said) when there is one."""
    text = reason_message(reason, sobject=sobject)
    detail = detail.strip()
    if not detail or detail in text:
        return text
    return f"{text} Details: {detail}"
