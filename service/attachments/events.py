"""Payloads of the `attachment.*` events (the catalogue is `service.webhooks.events`).

They describe the file (kind, name, type, size, digest), never its content nor a URL to it: a
receiver that wants the file asks for `Attachment.downloadUrl` with a key allowed to read it."""

from __future__ import annotations

from typing import Any

from service.attachments.models import Attachment
from service.db import fields
from service.ids import optional_global_id, to_global_id


def attachment_ref(attachment: Attachment) -> dict[str, Any]:
    ids = {
        "id": to_global_id("Attachment", attachment.id, attachment.company_id),
        "companyId": to_global_id("Company", attachment.company_id),
        "applicantId": to_global_id("Applicant", attachment.applicant_id, attachment.company_id),
        "applicationId": optional_global_id("Application", attachment.application_id, attachment.company_id),
    }
    return fields.payload(Attachment, attachment, ids)


def attachment_event(attachment: Attachment) -> dict[str, Any]:
    """`attachment.created` and `attachment.deleted`."""
    return {"attachment": attachment_ref(attachment)}
