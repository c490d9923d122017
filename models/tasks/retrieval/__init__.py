"""`retrieval`: two-tower recommendation from an interactions table (keras-rs), split leave-last-out per user."""
