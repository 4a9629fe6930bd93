"""Phone numbers: every customer is keyed by one E.164 number, whatever form it arrives in."""

from __future__ import annotations

import re

import phonenumbers

from memory.errors import InvalidPhone

_CHANNEL_PREFIX = re.compile(r"^\s*(whatsapp|tel|sms)\s*:\s*", re.IGNORECASE)


def normalize_phone(raw: object, default_region: str = "CO") -> str:
    """Return the E.164 form of `raw`.

    Accepts `+57 313 853 9155`, `whatsapp:+573138539155`, `573138539155` (international digits
    without the plus, as WhatsApp's WaId is) and national numbers read in `default_region`.
    Raises `InvalidPhone` for anything that is not a valid number.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone(raw, "a phone number is required")
    text = _CHANNEL_PREFIX.sub("", raw).strip()
    if len(text) > 40:
        raise InvalidPhone(raw, "too long to be a phone number")
    candidates: list[tuple[str, str | None]] = []
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        candidates.append((text, None))
    else:
        digits = re.sub(r"\D", "", text)
        # A national number in the default region first, then the digits as an international
        # number without its plus (WhatsApp WaId, CSV exports).
        candidates.append((text, default_region.upper()))
        if digits:
            candidates.append(("+" + digits, None))
    for number, region in candidates:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhone(raw)


def mask_phone(phone: str) -> str:
    """`+573138539155` → `+57******9155`, for logs."""
    if len(phone) <= 6:
        return "***"
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
