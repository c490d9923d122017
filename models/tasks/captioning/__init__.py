"""`captioning`: an image encoder with a Transformer decoder that writes a caption for each image."""
