"""Persons as they go on the wire. By default as Personio's published schema and the live check show them
(contract §8): custom attribute values are strings, and no null where Personio was not seen to send one. The
settings bring back the odd values a connector must still survive (README "Dialects")."""


def person_dialect(record: dict, settings) -> dict:
    """`record` (a copy of the drawn fields, typed values and nulls included) in the settings' dialect."""
    if settings.custom_attribute_values == "string":
        record["custom_attributes"] = [
            dict(attribute, value=_text(attribute["value"]))
            for attribute in record["custom_attributes"]
            # `unspecified` carries anything (objects, lists); Personio was not seen to send one
            if attribute["type"] != "unspecified"
        ]
    if not settings.unseen_nulls:
        if record.get("profile_picture") is None:
            record.pop("profile_picture", None)  # no field is required: a person without a picture has none
        if record.get("preferred_name") is None:
            record["preferred_name"] = ""
    return record


def _text(value) -> str:
    """A typed value as the string the live check saw in its place."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
