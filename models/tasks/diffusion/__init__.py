"""`diffusion`: a denoising diffusion model (DDPM-style training, DDIM sampling) that generates images from seeds."""
