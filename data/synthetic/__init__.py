"""Small annotated data the tests and demos generate, so that nothing is downloaded.

Example:
    >>> from data.synthetic import write_shapes
    >>> shapes = write_shapes("/tmp/shapes", count=8)   # doctest: +SKIP
    >>> shapes.sources["coco"]                          # doctest: +SKIP
    {'type': 'coco', 'path': '/tmp/shapes/coco.json'}
"""

from data.synthetic.shapes import Shapes, write_shapes

__all__ = ["Shapes", "write_shapes"]
