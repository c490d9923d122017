"""`vae`: a variational autoencoder that encodes images and generates new ones from seeds."""
