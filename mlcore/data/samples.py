"""Sample datasets that ship inside installed packages: nothing is downloaded at run time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import pandas as pd
from sklearn import datasets as skdata

from mlcore.dataset import Dataset, build_dataset, hash_frame


@dataclass(frozen=True)
class Sample:
    """A named dataset with a description for students and its natural target."""

    key: str
    title: str
    target: str
    description: str
    load: Callable[[], pd.DataFrame]


def _from_sklearn(loader: Callable, target: str, labelled: bool) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        bunch = loader(as_frame=True)
        frame = bunch.frame.rename(columns={"target": target})
        if labelled:
            names = list(bunch.target_names)
            frame[target] = frame[target].map(lambda i: names[int(i)])
        return frame

    return load


def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


SAMPLES: dict[str, Sample] = {
    s.key: s
    for s in (
        Sample(
            "iris",
            "Iris flowers",
            "species",
            "150 iris flowers measured in centimetres (sepal and petal length and width). "
            "Predict which of three species each flower is. The classic first classification task.",
            _from_sklearn(skdata.load_iris, "species", labelled=True),
        ),
        Sample(
            "penguins",
            "Palmer penguins",
            "species",
            "344 penguins from three islands in Antarctica, with bill and flipper sizes, body mass "
            "and sex. Predict the species. It has real missing values, so it shows why imputation matters.",
            _penguins,
        ),
        Sample(
            "wine",
            "Wine cultivars",
            "cultivar",
            "178 Italian wines described by 13 chemical measurements. Predict which of three "
            "growers (cultivars) made the wine. The features have very different scales.",
            _from_sklearn(skdata.load_wine, "cultivar", labelled=True),
        ),
        Sample(
            "breast_cancer",
            "Breast cancer (Wisconsin)",
            "diagnosis",
            "569 tumour samples described by 30 measurements of cell nuclei. Predict whether a "
            "tumour is malignant or benign: a binary task where the two kinds of error cost differently.",
            _from_sklearn(skdata.load_breast_cancer, "diagnosis", labelled=True),
        ),
        Sample(
            "diabetes",
            "Diabetes progression",
            "progression",
            "442 diabetes patients with age (years), sex (coded 1 or 2), BMI, mean blood pressure and six "
            "blood serum measurements, in their original units. Predict a number measuring disease "
            "progression one year later: a regression task.",
            # The original units, not sklearn's default centring and scaling, which a student can't read.
            _from_sklearn(partial(skdata.load_diabetes, scaled=False), "progression", labelled=False),
        ),
        Sample(
            "digits",
            "Handwritten digits",
            "digit",
            "1,797 handwritten digits as 8×8 grey images: each of the 64 columns is one pixel's "
            "darkness (0–16). Predict which digit (0–9) was written.",
            _from_sklearn(skdata.load_digits, "digit", labelled=False),
        ),
    )
}


@lru_cache(maxsize=len(SAMPLES))
def load_sample(key: str) -> Dataset:
    """Build the sample's Dataset once per process; Datasets are immutable, so sharing is safe."""
    sample = SAMPLES[key]
    frame = sample.load()
    return build_dataset(
        frame,
        name=sample.title,
        source=f"sample: {key}",
        content_hash=hash_frame(frame),
        target=sample.target,
        description=sample.description,
    )
