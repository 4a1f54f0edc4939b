"""One conversation turn: context of a message, flood control, conversation, photos, albums, hand-off."""
