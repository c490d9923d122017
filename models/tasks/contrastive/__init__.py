"""`contrastive`: SimCLR-style self-supervised pre-training of an image backbone."""
