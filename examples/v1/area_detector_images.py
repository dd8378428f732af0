"""Read area-detector images: one frame at a time, or all of them as a table column.

Usage: ``python examples/v1/area_detector_images.py [TARGET] [--layout LAYOUT]``

TARGET: a catalog directory or ``mongodb://host:port/dbname`` (see ``_demo.py``).
"""

import warnings

from _demo import get_broker

db = get_broker()
header = next(iter(db(data_key="img")))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # get_images is deprecated but still works
    images = db.get_images(header, "img")
print(f"{len(images)} frames of shape {images.frame_shape}, dtype {images.pixel_type}")
print("mean of the last frame:", images[-1].mean())
frames = header.table(fill=True)["img"]
print("sums per frame:", [float(frame.sum()) for frame in frames])
