"""Maps the user's requested top-level folders into one importable package.

``golden_model/`` -> ``snnforge.golden_model``, ``hdl/`` -> ``snnforge.hdl``,
``boards/`` -> ``snnforge.boards``. Sub-packages are found automatically.
"""
from setuptools import find_packages, setup

MAPPED = ("golden_model", "hdl", "boards")

packages = ["snnforge"] + [f"snnforge.{p}" for p in find_packages("snnforge")]
package_dir = {"snnforge": "snnforge"}
for top in MAPPED:
    packages.append(f"snnforge.{top}")
    package_dir[f"snnforge.{top}"] = top
    for sub in find_packages(top):
        packages.append(f"snnforge.{top}.{sub}")
        package_dir[f"snnforge.{top}.{sub}"] = f"{top}/{sub.replace('.', '/')}"

# The committed MNIST sample: a data-only folder, shipped as its own (namespace) package.
SAMPLE = "snnforge.golden_model.data.sample"
packages.append(SAMPLE)
package_dir[SAMPLE] = "golden_model/data/sample"

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={SAMPLE: ["*.gz", "README.md"], "snnforge.sim": ["*.cpp", "*.h"]},
)
