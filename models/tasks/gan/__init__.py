"""`gan`: a DCGAN, or a class-conditional GAN, that generates images from seeds."""
