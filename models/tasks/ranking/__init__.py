"""`ranking`: score candidate items for a user (feature crosses, keras-rs), split leave-last-out per user."""
