"""`autoencoder`: reconstruct inputs, and score anomalies by how badly they are reconstructed."""
