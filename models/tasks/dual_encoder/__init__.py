"""`dual_encoder`: CLIP-style contrastive training of an image tower and a text tower on image/caption pairs."""
