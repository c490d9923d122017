"""The diffusion model's pieces: the noise schedule, the network's inputs, deterministic guided DDIM sampling."""

import numpy as np
import tensorflow as tf

from models.backbones.unet import UnetOptions, unet
from models.tasks.diffusion.model import EMBEDDING, build_network, ddim_sample, rates


def _network(num_classes=0):
    channels = 1 + EMBEDDING * (2 if num_classes else 1)
    backbone = unet(UnetOptions(filters=[4, 8], blocks_per_level=1, use_batch_norm=False), input_shape=(8, 8, channels))
    network = build_network(backbone, (8, 8, 1), num_classes=num_classes)
    network.get_layer("noise").kernel.assign(tf.random.stateless_normal((1, 1, 4, 1), seed=[1, 2]))
    return network


def test_the_schedule_runs_from_mostly_signal_to_mostly_noise_with_unit_power():
    signal, noise = rates(tf.linspace(0.0, 1.0, 11))
    assert np.all(np.diff(signal.numpy()) < 0) and np.all(np.diff(noise.numpy()) > 0)
    np.testing.assert_allclose(signal.numpy() ** 2 + noise.numpy() ** 2, 1.0, atol=1e-6)


def test_ddim_sampling_is_deterministic_and_guidance_follows_the_class():
    network = _network(num_classes=3)
    noise = tf.random.stateless_normal((2, 8, 8, 1), seed=[3, 4])
    classes = tf.constant([0, 1])
    first = ddim_sample(network, noise, 4, classes, null_class=3, guidance=2.0)
    again = ddim_sample(network, noise, 4, classes, null_class=3, guidance=2.0)
    other = ddim_sample(network, noise, 4, tf.constant([2, 2]), null_class=3, guidance=2.0)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert first.shape == (2, 8, 8, 1) and float(tf.reduce_min(first)) >= 0 and float(tf.reduce_max(first)) <= 1
    assert not np.allclose(first.numpy(), other.numpy())
    plain = ddim_sample(_network(), noise, 4)
    assert plain.shape == (2, 8, 8, 1)
