"""Status transitions and flags on a claim (the rules are claims.services.workflow's)."""

from rest_framework import serializers

from claims import vocabulary as v
from claims.models import Flag


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=v.CurationStatus.choices, help_text="The status to move to")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Why (required for a rejection)"
    )


class FlagSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Flag
        fields = ["id", "kind", "text", "raised_at", "is_open", "resolved_at", "resolution"]
        read_only_fields = ["id", "raised_at", "resolved_at", "resolution"]
        extra_kwargs = {"text": {"max_length": 5000}}


class FlagResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=5000, help_text="How the flag was resolved")
