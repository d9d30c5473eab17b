"""Maps the user's requested top-level folders into one importable package.

``golden_model/`` -> ``spikeforge.golden_model``, ``hdl/`` -> ``spikeforge.hdl``,
``boards/`` -> ``spikeforge.boards``. Sub-packages are found automatically.
"""
from setuptools import find_packages, setup

MAPPED = ("golden_model", "hdl", "boards")

packages = ["spikeforge"] + [f"spikeforge.{p}" for p in find_packages("spikeforge")]
package_dir = {"spikeforge": "spikeforge"}
for top in MAPPED:
    packages.append(f"spikeforge.{top}")
    package_dir[f"spikeforge.{top}"] = top
    for sub in find_packages(top):
        packages.append(f"spikeforge.{top}.{sub}")
        package_dir[f"spikeforge.{top}.{sub}"] = f"{top}/{sub.replace('.', '/')}"

# The committed MNIST sample: a data-only folder, shipped as its own (namespace) package.
SAMPLE = "spikeforge.golden_model.data.sample"
packages.append(SAMPLE)
package_dir[SAMPLE] = "golden_model/data/sample"

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={SAMPLE: ["*.gz", "README.md"]},
)
