"""Strict DRF fields (SPEC §2, §5.7): no coercion, no trimming, unknown keys refused.

DRF's own fields are lenient: ``IntegerField`` takes ``"12"`` and ``12.0``, ``CharField`` takes
numbers and strips whitespace, ``BooleanField`` takes ``"yes"``, and unknown keys are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: not a bool, a float or a string."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string only, kept verbatim."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    """A JSON string that is an email address, kept verbatim."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` only."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoiceField(serializers.ChoiceField):
    """A JSON string among ``choices``."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class CurrencyField(StrictCharField):
    """A lowercase ISO-4217 code (SPEC §2)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(r"^[a-z]{3}\Z", "A lowercase ISO-4217 code, such as usd.")
        )


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A serializer that refuses a body that is not an object, and unknown keys."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"body": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)

    @classmethod
    def parse(cls, data: Any, **kwargs: Any) -> dict[str, Any]:
        """Validate ``data`` and return the clean values, or raise a 400 ``ValidationError``."""
        serializer = cls(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
